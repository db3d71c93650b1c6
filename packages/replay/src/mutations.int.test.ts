import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { consume, llm, node, publish, runWithResult, tool } from "@tracewright/instrument";
import type { Carried } from "@tracewright/instrument";
import type { RunOptions } from "@tracewright/instrument";
import { openSqliteStore } from "@tracewright/store";
import type { TraceStore } from "@tracewright/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { CollectingProcessor } from "./spans.js";
import type { DivergenceKind, ReplayableAgent } from "./types.js";

// A mutation suite: an agent shaped like the reference supervisor (a planning node with a model
// call, a research node with tool calls, some concurrent), recorded once, then replayed by
// changed versions of its code. Each change must be reported as the right kind of divergence
// at the right first step key; behaviour-preserving refactors must report none.

type Variant = "base" | "reorder" | "change_arg" | "add_call" | "remove_call" | "change_prompt" | "swap_tool_for_llm" | "refactor";

const chat = (request: { model: string; messages: { role: string; content: string }[] }) => ({ text: `plan for ${request.messages.at(-1)?.content ?? ""}`, usage: { inputTokens: 5, outputTokens: 4 } });
const search = (args: { q: string }) => ({ hits: [`doc://${args.q.replace(/\s+/g, "-")}`] });
const fetchDoc = (args: { id: string }) => ({ id: args.id, text: `text of ${args.id}` });

async function program(variant: Variant, input: { goal: string }, ctx: { now(): number }) {
  const planned = await node("plan", { goal: input.goal }, async (state) => {
    const prompt = variant === "change_prompt" ? `Plan carefully: ${state.goal}` : `Plan: ${state.goal}`;
    const reply = await llm({ model: "scripted", messages: [{ role: "user", content: prompt }] }, chat);
    return variant === "refactor" ? { plan: reply.text, goal: state.goal } : { goal: state.goal, plan: reply.text };
  });
  const researched = await node("research", planned, async (state) => {
    const found: unknown[] = [];
    const q1 = variant === "change_arg" ? "lambda cost" : "lambda pricing";
    if (variant === "reorder") {
      found.push(await tool("fetch", { id: "doc://pricing" }, fetchDoc));
      found.push(await tool("search", { q: q1 }, search));
    } else {
      found.push(await tool("search", { q: q1 }, search));
      if (variant === "swap_tool_for_llm") found.push(await llm({ model: "scripted", messages: [{ role: "user", content: "summarize doc://pricing" }] }, chat));
      else if (variant !== "remove_call") found.push(await tool("fetch", { id: "doc://pricing" }, fetchDoc));
    }
    // Concurrent siblings: matched by key whatever order they finish in.
    const more = await Promise.all(["graviton", "memory"].map((q, i) => tool("search", { q }, (args) => new Promise((r) => setTimeout(() => r(search(args)), (variant === "refactor" ? 1 - i : i) * 15)))));
    found.push(...more);
    if (variant === "add_call") found.push(await tool("search", { q: "extra" }, search));
    return { ...state, found, at: ctx.now() };
  });
  return { report: `${researched.plan}: ${researched.found.length} sources` };
}

function agent(variant: Variant): ReplayableAgent {
  return {
    name: "researcher",
    run: (input: unknown, runOptions: RunOptions) => runWithResult("researcher", input as { goal: string }, (ctx) => program(variant, ctx.state, ctx), runOptions),
  };
}

let store: TraceStore;
let runId: string;

beforeAll(async () => {
  store = openSqliteStore({ path: ":memory:" });
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [collected] });
  const result = await agent("base").run({ goal: "cut the Lambda bill" }, { tracer: provider.getTracer("test") }, { fixes: [] });
  await store.ingest(collected.spans);
  runId = result.runId;
});
afterAll(async () => {
  await store.close();
});

const cases: { variant: Variant; type?: DivergenceKind; key?: string; reordered?: boolean }[] = [
  { variant: "base" },
  { variant: "refactor" },
  { variant: "reorder", type: "call_replaced", key: "researcher/node:research#0/tool:search#0", reordered: true },
  { variant: "change_arg", type: "input_changed", key: "researcher/node:research#0/tool:search#0" },
  { variant: "add_call", type: "unexpected_call", key: "researcher/node:research#0/tool:search#3" },
  { variant: "remove_call", type: "missing_call", key: "researcher/node:research#0/tool:fetch#0" },
  { variant: "change_prompt", type: "input_changed", key: "researcher/node:plan#0/llm:scripted#0" },
  { variant: "swap_tool_for_llm", type: "call_replaced", key: "researcher/node:research#0/tool:fetch#0" },
];

describe("mutation suite: the right divergence at the right first step", () => {
  for (const mode of ["reproduce", "verify-fix"] as const) {
    for (const c of cases) {
      it(`${mode}: ${c.variant} → ${c.type ?? "no divergence"}`, async () => {
        const report = await replay({ store, runId, mode, agents: [agent(c.variant)], onDivergence: "stop" });
        if (c.type === undefined) {
          expect(report.divergences).toEqual([]);
          expect(report.outcome).toBe(mode === "reproduce" ? "reproduced" : "completed");
          expect(report.stats.live).toBe(0);
          return;
        }
        expect(report.first).toMatchObject({ type: c.type, key: c.key });
        if (c.reordered !== undefined) expect(report.first?.reordered).toBe(true);
        expect(report.stats.live).toBe(0);
        if (c.type === "input_changed") expect(report.first?.inputDiff?.length).toBeGreaterThan(0);
        expect(report.summary).toContain(c.key!);
      });
    }
  }

  it("the input diff is a JSON Patch from the recorded input to the new one", async () => {
    const report = await replay({ store, runId, mode: "reproduce", agents: [agent("change_arg")] });
    expect(report.first?.inputDiff).toEqual([{ op: "replace", path: "/q", value: "lambda cost" }]);
    expect(report.outcome).toBe("diverged");
  });

  it("verify-fix goes live after the first divergence by default, and completes", async () => {
    const report = await replay({ store, runId, mode: "verify-fix", agents: [agent("change_arg")] });
    expect(report.first).toMatchObject({ type: "input_changed" });
    expect(report.outcome).toBe("completed");
    expect(report.stats.live).toBeGreaterThan(0);
  });

  it("reproduce fails a network request made outside a recorded step, and says so", async () => {
    const sneaky: ReplayableAgent = {
      name: "researcher",
      run: (input, runOptions) =>
        runWithResult("researcher", input, async (ctx) => {
          await node("plan", { goal: (ctx.state as { goal: string }).goal }, async () => {
            await fetch("http://127.0.0.1:9/never");
          });
        }, runOptions),
    };
    const report = await replay({ store, runId, mode: "reproduce", agents: [sneaky] });
    expect(report.outcome).toBe("diverged");
    expect(report.error).toContain("outside a recorded step");
  });

  it("fork refuses a side-effecting tool after the fork point unless allowed", async () => {
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    let sent = 0;
    const payer: ReplayableAgent = {
      name: "payer",
      run: (input, runOptions) =>
        runWithResult("payer", input, async () => {
          const quote = await node("quote", { amount: 5 }, async (s) => ({ amount: s.amount * 2 }));
          return tool("pay", quote, (args) => {
            sent++;
            return { paid: args.amount };
          }, { sideEffects: true });
        }, runOptions),
    };
    const recorded = await payer.run({}, { tracer: provider.getTracer("t") }, { fixes: [] });
    await store.ingest(collected.spans);
    expect(sent).toBe(1);
    const refused = await replay({ store, runId: recorded.runId, mode: "fork", from: "payer/node:quote#0", patch: { amount: 50 }, agents: [payer] });
    expect(refused.outcome).toBe("failed");
    expect(refused.error).toContain("side-effecting tool pay");
    expect(sent).toBe(1);
    const allowed = await replay({ store, runId: recorded.runId, mode: "fork", from: "payer/node:quote#0", patch: { amount: 50 }, allowSideEffects: true, agents: [payer] });
    expect(allowed.outcome).toBe("completed");
    expect(sent).toBe(2);
    const steps = (await store.getRunSpans(allowed.replayRunId)).map((s) => [s.attributes["tracewright.step.key"], s.attributes["output.value"]]);
    expect(steps).toContainEqual(["payer/tool:pay#0", '{"paid":100}']);
  });

  it("verify-fix reports a trailing node the new code no longer runs, with nothing after it to notice", async () => {
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    const notifier = (skipNotify: boolean): ReplayableAgent => ({
      name: "notifier",
      run: (input, runOptions) =>
        runWithResult("notifier", input, async () => {
          const drafted = await node("draft", { to: "ops" }, (s) => ({ ...s, text: "done" }));
          if (!skipNotify) await node("notify", drafted, (s) => tool("send", s, () => ({ sent: true })));
          return drafted;
        }, runOptions),
    });
    const recorded = await notifier(false).run({}, { tracer: provider.getTracer("t") }, { fixes: [] });
    await store.ingest(collected.spans);
    const report = await replay({ store, runId: recorded.runId, mode: "verify-fix", agents: [notifier(true)] });
    expect(report.outcome).toBe("completed");
    // The node is the divergence; the tool under it is that node's business, not reported again.
    expect(report.divergences.map((d) => `${d.type} ${d.key}`)).toEqual(["missing_call notifier/node:notify#0"]);
    expect(report.unusedKeys).toEqual(["notifier/node:notify#0/tool:send#0"]);
  });

  it("verify-fix does not report a message's consumer as never called: whether it runs again is the transport's", async () => {
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    const queue: { body: unknown; carried: Carried }[] = [];
    // A queue in another process: the publish is served on replay (sent: false) and nothing delivers it again.
    const producer: ReplayableAgent = {
      name: "producer",
      run: (input, runOptions) =>
        runWithResult("producer", input, async () => {
          const sent = await publish({ system: "aws_sqs", destination: "jobs" }, { job: 1 }, (message, carried) => {
            queue.push({ body: message, carried });
            return "m-1";
          });
          return sent.messageId;
        }, runOptions),
    };
    const recorded = await producer.run({}, { tracer: provider.getTracer("t") }, { fixes: [] });
    const delivered = queue.shift()!;
    await consume("worker", { system: "aws_sqs", destination: "jobs" }, { message: delivered.body, carried: delivered.carried, attempt: 0 }, () => tool("work", {}, () => "done"), { tracer: provider.getTracer("t") });
    await store.ingest(collected.spans);
    const report = await replay({ store, runId: recorded.runId, mode: "verify-fix", agents: [producer] });
    expect(report.outcome).toBe("completed");
    expect(report.divergences).toEqual([]);
  });

  it("fork refuses a side-effecting tool the recorded run never reached, by its declaration at the call", async () => {
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    let refunded = 0;
    // The recorded run failed in its check, before the refund; the fork patches the check to pass.
    const refunder: ReplayableAgent = {
      name: "refunder",
      run: (input, runOptions) =>
        runWithResult("refunder", input, async () => {
          const checked = await node("check", { ok: false }, (s) => {
            if (!s.ok) throw new Error("not eligible");
            return s;
          });
          return tool("refund", checked, () => ({ refunded: ++refunded }), { sideEffects: true });
        }, runOptions),
    };
    const recorded = await refunder.run({}, { tracer: provider.getTracer("t") }, { fixes: [] });
    expect(recorded.status).toBe("error");
    await store.ingest(collected.spans);
    const refused = await replay({ store, runId: recorded.runId, mode: "fork", from: "refunder/node:check#0", patch: { ok: true }, agents: [refunder] });
    expect(refused.outcome).toBe("failed");
    expect(refused.error).toContain("side-effecting tool refund");
    expect(refunded).toBe(0);
    const allowed = await replay({ store, runId: recorded.runId, mode: "fork", from: "refunder/node:check#0", patch: { ok: true }, allowSideEffects: true, agents: [refunder] });
    expect(allowed.outcome).toBe("completed");
    expect(refunded).toBe(1);
  });
});
