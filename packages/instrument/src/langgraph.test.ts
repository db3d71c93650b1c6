import { Annotation, BaseCheckpointSaver, Command, END, MemorySaver, START, StateGraph, interrupt } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { Tracewright } from "./conventions.js";
import { humanInput, traceCheckpointer, traceNode } from "./langgraph.js";
import { run, tool } from "./steps.js";
import { recordSpans } from "./recording.fixtures.js";

const exporter = recordSpans();

const State = Annotation.Root({
  goal: Annotation<string>(),
  plan: Annotation<string[]>({ reducer: (_, b) => b, default: () => [] }),
  approved: Annotation<string | undefined>(),
  findings: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
});
type S = typeof State.State;

const saver = new MemorySaver();

function graph() {
  return new StateGraph(State)
    .addNode("planner", traceNode("planner", (state: S) => ({ plan: [`search ${state.goal}`] })))
    .addNode("approve", traceNode("approve", async () => ({ approved: await humanInput("approve the plan?", (q) => interrupt<string, string>(q)) })))
    .addNode("research", traceNode("research", async (state: S) => ({ findings: [await tool("web_search", { q: state.plan[0] }, (a) => `found: ${a.q}`)] })))
    .addEdge(START, "planner")
    .addEdge("planner", "approve")
    .addEdge("approve", "research")
    .addEdge("research", END)
    .compile({ checkpointer: saver });
}

const keyed = () => new Map(exporter.getFinishedSpans().map((s) => [String(s.attributes[Tracewright.STEP_KEY]), s]));

describe("the LangGraph.js adapter", () => {
  it("records each node with its state in and out, and nested tool calls", async () => {
    const g = graph();
    const config = { configurable: { thread_id: "thread-1" } };
    await run("graph-agent", { goal: "lambda" }, () => g.invoke({ goal: "lambda" }, config));
    const first = keyed();
    const plan = first.get("graph-agent/node:planner#0")!;
    expect(JSON.parse(String(plan.attributes["input.value"]))).toMatchObject({ goal: "lambda" });
    expect(JSON.parse(String(plan.attributes["output.value"]))).toEqual({ plan: ["search lambda"] });
    expect(plan.attributes[Tracewright.GRAPH_THREAD_ID]).toBe("thread-1");
    // The checkpoint each node's task was planned from: one per superstep, as the checkpointer saved it.
    const checkpoints: unknown[] = [];
    for await (const saved of saver.list(config)) checkpoints.push(saved.config.configurable?.checkpoint_id);
    const planCheckpoint = plan.attributes[Tracewright.GRAPH_CHECKPOINT_ID];
    expect(checkpoints).toContain(planCheckpoint);
    expect(first.get("graph-agent/node:approve#0")!.attributes[Tracewright.GRAPH_CHECKPOINT_ID]).not.toBe(planCheckpoint);
    // The interrupt stopped the graph: recorded as suspended, not as a failure.
    const asked = first.get("graph-agent/node:approve#0/human:input#0")!;
    expect(asked.attributes[Tracewright.STEP_SUSPENDED]).toBe(true);
    expect(asked.status.code).toBe(0);
    expect(first.get("graph-agent/node:approve#0")!.status.code).toBe(0);
    expect(first.get("graph-agent")!.status.code).toBe(0);
    expect(first.has("graph-agent/node:research#0")).toBe(false);

    exporter.reset();
    const result = await run("graph-agent", { resume: "yes" }, () => g.invoke(new Command({ resume: "yes" }), config));
    expect(result).toMatchObject({ approved: "yes", findings: ["found: search lambda"] });
    const second = keyed();
    const answered = second.get("graph-agent/node:approve#0/human:input#0")!;
    expect(answered.attributes["output.value"]).toBe('"yes"');
    expect(answered.attributes[Tracewright.STEP_KIND]).toBe("human");
    expect(second.get("graph-agent/node:research#0/tool:web_search#0")?.attributes["output.value"]).toBe('"found: search lambda"');
  });

  it("records a traced checkpointer's reads as state:checkpoint steps and leaves the checkpointer itself as it was", async () => {
    const inner = new MemorySaver();
    const traced = traceCheckpointer(inner);
    expect(traced).toBeInstanceOf(BaseCheckpointSaver);
    const g = new StateGraph(State)
      .addNode("planner", traceNode("planner", (state: S) => ({ plan: [`search ${state.goal}`] })))
      .addEdge(START, "planner")
      .addEdge("planner", END)
      .compile({ checkpointer: traced });
    const config = { configurable: { thread_id: "thread-traced" } };
    await run("graph-agent", { goal: "lambda" }, () => g.invoke({ goal: "lambda" }, config));
    const fresh = keyed().get("graph-agent/state:checkpoint#0")!;
    expect(JSON.parse(String(fresh.attributes["input.value"]))).toEqual({ thread_id: "thread-traced", checkpoint_ns: "", checkpoint_id: null });
    expect(fresh.attributes["output.value"]).toBe("null");
    exporter.reset();
    // The next invocation starts from the checkpoint the first left: recorded as the serializer writes it.
    await run("graph-agent", { goal: "s3" }, () => g.invoke({ goal: "s3" }, config));
    const read = JSON.parse(String(keyed().get("graph-agent/state:checkpoint#0")!.attributes["output.value"])) as { type: string; json: { checkpoint: { channel_values: { plan: string[] } } } };
    expect(read.type).toBe("json");
    expect(read.json.checkpoint.channel_values.plan).toEqual(["search lambda"]);
    // Writes and lists went to the checkpointer itself, and the graph's state reads it back.
    const saved: unknown[] = [];
    for await (const tuple of inner.list(config)) saved.push(tuple.checkpoint.id);
    expect(saved.length).toBeGreaterThan(1);
    exporter.reset();
    expect((await g.getState(config)).values).toMatchObject({ goal: "s3", plan: ["search s3"] });
    // A read outside any run is no step.
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it("records a traced checkpointer's versions as pairs, a secret-named channel's version unmasked, and a subgraph's read by its namespace's path, not its task ids", async () => {
    const Secretive = Annotation.Root({ goal: Annotation<string>(), token: Annotation<string>() });
    const child = new StateGraph(Secretive)
      .addNode("mint", traceNode("mint", () => ({ token: "sk-live-not-really" })))
      .addEdge(START, "mint")
      .addEdge("mint", END)
      .compile();
    const g = new StateGraph(Secretive)
      .addNode("issue", child)
      .addEdge(START, "issue")
      .addEdge("issue", END)
      .compile({ checkpointer: traceCheckpointer(new MemorySaver()) });
    const config = { configurable: { thread_id: "thread-secretive" } };
    await run("graph-agent", { goal: "a" }, () => g.invoke({ goal: "a" }, config));
    exporter.reset();
    await run("graph-agent", { goal: "b" }, () => g.invoke({ goal: "b" }, config));
    const reads = exporter.getFinishedSpans().filter((span) => String(span.attributes[Tracewright.STEP_KEY]).includes("/state:checkpoint#"));
    const top = reads.find((span) => span.attributes[Tracewright.STEP_KEY] === "graph-agent/state:checkpoint#0")!;
    const recorded = JSON.parse(String(top.attributes["output.value"])) as { json: { checkpoint: { channel_versions: [string, unknown][]; versions_seen: [string, [string, unknown][]][]; channel_values: Record<string, unknown> } } };
    const versions = new Map(recorded.json.checkpoint.channel_versions);
    expect(versions.get("token")).toEqual(expect.anything());
    expect(versions.get("token")).not.toBe("[REDACTED]");
    expect(recorded.json.checkpoint.versions_seen.every(([, seen]) => Array.isArray(seen))).toBe(true);
    // The channel's value is a recorded secret, masked as any is.
    expect(recorded.json.checkpoint.channel_values.token).toBe("[REDACTED]");
    // Every read's input names the namespace's path: no task id (made from a random checkpoint id) in it.
    expect(reads.map((span) => JSON.parse(String(span.attributes["input.value"])).checkpoint_ns)).toContain("issue");
    for (const span of reads) expect(String(span.attributes["input.value"])).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it("records an interrupt() inside a tool — approval before it acts — as the tool's suspension, not its failure", async () => {
    const booking = new StateGraph(State)
      .addNode("book", traceNode("book", async (state: S) => ({ approved: await tool("book_hotel", { goal: state.goal }, () => interrupt<string, string>("book it?")) })))
      .addEdge(START, "book")
      .addEdge("book", END)
      .compile({ checkpointer: saver });
    const config = { configurable: { thread_id: "thread-book" } };
    await run("booker", { goal: "oslo" }, () => booking.invoke({ goal: "oslo" }, config));
    const first = keyed();
    const asked = first.get("booker/node:book#0/tool:book_hotel#0")!;
    expect(asked.status.code).toBe(0);
    expect(asked.attributes[Tracewright.STEP_SUSPENDED]).toBe(true);
    expect(asked.attributes[Tracewright.ERROR_VALUE]).toBeUndefined();
    expect(first.get("booker/node:book#0")!.attributes[Tracewright.STEP_SUSPENDED]).toBe(true);
    exporter.reset();
    const resumed = await run("booker", {}, () => booking.invoke(new Command({ resume: "yes" }), config));
    expect(resumed).toMatchObject({ approved: "yes" });
    expect(keyed().get("booker/node:book#0/tool:book_hotel#0")?.attributes["output.value"]).toBe('"yes"');
  });

  it("records a failing node as an error and lets the error through unchanged", async () => {
    const boom = new Error("node failed");
    const g = new StateGraph(State)
      .addNode("planner", traceNode("planner", () => {
        throw boom;
      }))
      .addEdge(START, "planner")
      .addEdge("planner", END)
      .compile();
    await expect(run("graph-agent", {}, () => g.invoke({ goal: "x" }))).rejects.toThrow("node failed");
    expect(keyed().get("graph-agent/node:planner#0")?.status.code).toBe(2);
  });
  it("records a handoff to the parent graph (Command.PARENT) as the node's output, not as a suspension", async () => {
    // Multi-agent handoffs (langgraph-supervisor, swarm) end a subgraph with Command({ graph: PARENT }):
    // LangGraph throws it up as a ParentCommand, but the node did its work; nothing waits for a human.
    const Hop = Annotation.Root({ x: Annotation<number>() });
    const team = new StateGraph(Hop)
      .addNode("handoff", traceNode("handoff", () => new Command({ goto: "billing", graph: Command.PARENT, update: { x: 5 } })))
      .addEdge(START, "handoff")
      .compile();
    const g = new StateGraph(Hop)
      .addNode("team", traceNode("team", (state: { x: number }, config: unknown) => team.invoke(state, config as never)), { ends: ["billing"] })
      .addNode("billing", traceNode("billing", (state: { x: number }) => ({ x: state.x + 1 })))
      .addEdge(START, "team")
      .addEdge("billing", END)
      .compile();
    expect(await run("graph-agent", {}, () => g.invoke({ x: 1 }))).toEqual({ x: 6 });
    const handedOff = keyed().get("graph-agent/node:team#0")!;
    expect(handedOff.attributes[Tracewright.STEP_SUSPENDED]).toBeUndefined();
    expect(handedOff.status.code).toBe(0);
    expect(JSON.parse(String(handedOff.attributes["output.value"]))).toMatchObject({ goto: ["billing"], update: { x: 5 } });
    expect(keyed().get("graph-agent/node:billing#0")?.attributes["output.value"]).toBe('{"x":6}');
  });
});
