import nodeCrypto, { randomBytes, randomFillSync, randomUUID } from "node:crypto";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { Command, END, MemorySaver, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import { Tracewright, XRayIdGenerator, humanInput, node, runWithResult, tool, traceCheckpointer, traceNode } from "@tracewright/instrument";
import type { RunContext } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { loadRecording } from "./recording.js";
import { recordRun, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// A run with `deterministic: true`: Date.now, Math.random and crypto.randomUUID anywhere inside
// it are recorded steps, and replay serves them. Only the agent's own reads are steps — the SDK
// reads the clock (and may read Math.random for ids) at every span start, and those are not.

const store = storePerTest();

/** An agent whose every run is `deterministic`: `body` as the run `name`, with the replay's run options. */
function deterministicAgent(name: string, body: (ctx: RunContext<unknown>) => unknown): ReplayableAgent {
  return { name, run: (input, options) => runWithResult(name, input, body, { ...options, deterministic: true }) };
}

/** What the agent saw of the clock, randomness and ids, run by run. */
const seen: unknown[][] = [];

const agent = deterministicAgent("dice", async () => {
  const roll = await node("roll", {}, () => ({ at: Date.now(), value: Math.floor(Math.random() * 6) + 1, id: globalThis.crypto.randomUUID() }));
  const verdict = await tool("judge", roll, (r) => (r.value >= 4 ? "win" : "lose"));
  seen.push([roll.at, roll.value, roll.id, verdict, Date.now()]);
  return verdict;
});

describe("a deterministic run", () => {
  it("records the agent's own clock, random and uuid reads, and no read of the instrumentation's", async () => {
    const { runId } = await recordRun(store(), agent);
    const recording = await loadRecording(store(), runId);
    const keys = [...recording.steps.values()].map((s) => s.key).sort();
    expect(keys).toEqual(["dice", "dice/clock:now#0", "dice/node:roll#0", "dice/node:roll#0/clock:now#0", "dice/node:roll#0/random:random#0", "dice/node:roll#0/uuid:uuid#0", "dice/tool:judge#0"]);
  });

  it("reproduces exactly, serving the agent what it read of the clock, randomness and ids", async () => {
    seen.length = 0;
    const { runId } = await recordRun(store(), agent);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent] });
    expect(report.outcome).toBe("reproduced");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
  });

  it("routes new Date(), Date() and node:crypto's randomUUID too, and leaves Date whole", async () => {
    const read: unknown[][] = [];
    const clocked = deterministicAgent("stamp", async () => {
      // The time in a prompt, an idempotency key from node:crypto, a timestamp as text.
      const stamp = await node("stamp", {}, () => ({ now: `Current time: ${new Date().toISOString()}`, key: randomUUID(), said: Date() }));
      read.push([stamp.now, stamp.key, stamp.said]);
      return tool("send", stamp, (s) => s.key.length);
    });
    const { runId } = await recordRun(store(), clocked);
    const keys = (await loadRecording(store(), runId)).steps.map((s) => s.key);
    expect(keys).toEqual(expect.arrayContaining(["stamp/node:stamp#0/clock:now#0", "stamp/node:stamp#0/uuid:uuid#0", "stamp/node:stamp#0/clock:now#1"]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [clocked] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(read[1]).toEqual(read[0]);
    // Date is still Date: with arguments, statics, instanceof, subclasses, outside a run.
    expect(new Date(0).toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(Date.UTC(2026, 0, 2)).toBe(1767312000000);
    expect(new Date(5) instanceof Date).toBe(true);
    expect(Object.prototype.toString.call(new Date())).toBe("[object Date]");
    class Stamp extends Date {}
    expect(new Stamp(7)).toBeInstanceOf(Stamp);
    expect(new Stamp(7).getTime()).toBe(7);
    expect(Math.abs(new Date().getTime() - Date.now())).toBeLessThan(1000);
    expect(typeof Date()).toBe("string");
    expect(new Date().constructor).toBe(Date);
    expect(Object.hasOwn(Date, "parse") && Object.hasOwn(Date, "UTC")).toBe(true);
    expect(Date.parse("2026-01-02T00:00:00Z")).toBe(1767312000000);
  });

  it("routes crypto.getRandomValues, the global's and node:crypto's: a random:bytes step of the byte count, the bytes served back into the array", async () => {
    const read: string[][] = [];
    const bytes = deterministicAgent("bytes", async () => {
      const drawn = await node("draw", {}, () => {
        const a = globalThis.crypto.getRandomValues(new Uint8Array(16));
        const b = nodeCrypto.getRandomValues(new Uint32Array(2));
        // What the real one refuses, it still refuses.
        expect(() => globalThis.crypto.getRandomValues(new Float32Array(1) as unknown as Uint8Array)).toThrow();
        return [Buffer.from(a).toString("hex"), Buffer.from(b.buffer).toString("hex")];
      });
      read.push(drawn);
      return drawn;
    });
    const { runId } = await recordRun(store(), bytes);
    const recording = await loadRecording(store(), runId);
    const draws = recording.steps.filter((s) => s.key.startsWith("bytes/node:draw#0/random:bytes#"));
    // The refused one is a step too, its error recorded and thrown again on replay.
    expect(draws.map((s) => [s.key, s.inputJson, s.error?.type])).toEqual([
      ["bytes/node:draw#0/random:bytes#0", '{"bytes":16}', undefined],
      ["bytes/node:draw#0/random:bytes#1", '{"bytes":8}', undefined],
      ["bytes/node:draw#0/random:bytes#2", '{"bytes":4}', expect.any(String)],
    ]);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [bytes] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(read[1]).toEqual(read[0]);
    // Outside a run, as ever: fresh bytes, no step.
    expect(globalThis.crypto.getRandomValues(new Uint8Array(8))).toHaveLength(8);
  });

  it("routes node:crypto's randomBytes and randomFillSync: a random:bytes step of the bytes asked for, served back; their callback forms stay real", async () => {
    const read: string[][] = [];
    const hex = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("hex");
    const drawn = deterministicAgent("fill", async () => {
      const ids = await node("draw", {}, async () => {
        const key = randomBytes(8).toString("hex");
        const pool = randomFillSync(Buffer.alloc(6));
        // Offset and size in elements: the middle two of four 32-bit words; the others keep what they held.
        const words = randomFillSync(new Uint32Array([1, 0, 0, 4]), 1, 2);
        // An ArrayBuffer, which Node takes (its types name views only), handed back itself.
        const buffer = new ArrayBuffer(3);
        expect((randomFillSync as unknown as (buffer: ArrayBuffer) => ArrayBuffer)(buffer)).toBe(buffer);
        const whole = new Uint8Array(buffer);
        // The module object's own, as a CommonJS library calls it.
        const viaModule = nodeCrypto.randomBytes(2).toString("hex");
        // A view that starts inside its buffer (a slice of a pooled Buffer), a DataView (counted in
        // bytes) and a fraction (truncated, as the real one does): their own bytes, and no others.
        const backing = Buffer.from("abcdefgh");
        randomFillSync(backing.subarray(2, 6), 1, 2);
        const data = new DataView(new ArrayBuffer(8));
        randomFillSync(data, 2, 3);
        const fraction = randomBytes(2.7);
        expect(fraction).toHaveLength(2);
        // Arguments the real one refuses it still refuses, and they make no step.
        expect(() => randomFillSync(new Uint8Array(2), 3)).toThrow(RangeError);
        expect(() => randomBytes(-1)).toThrow(RangeError);
        // A callback form reads the real ones, and is no step.
        const later = await new Promise<string>((resolve, reject) => randomBytes(4, (error, buffer) => (error ? reject(error) : resolve(buffer.toString("hex")))));
        expect(later).toHaveLength(8);
        // Span ids from the X-Ray id generator (another span started inside the run) are no step of the agent's.
        expect(new XRayIdGenerator().generateSpanId()).toMatch(/^[0-9a-f]{16}$/);
        expect([backing.subarray(0, 3).toString(), backing.subarray(5).toString()]).toEqual(["abc", "fgh"]);
        expect([data.getUint16(0), data.getUint8(5), data.getUint16(6)]).toEqual([0, 0, 0]);
        return [key, hex(pool), hex(words), hex(whole), viaModule, backing.toString("hex"), hex(data), fraction.toString("hex")];
      });
      read.push(ids);
      return ids;
    });
    const { runId } = await recordRun(store(), drawn);
    const recording = await loadRecording(store(), runId);
    expect(recording.steps.filter((s) => s.key.startsWith("fill/node:draw#0/")).map((s) => [s.key, s.inputJson])).toEqual([
      ["fill/node:draw#0/random:bytes#0", '{"bytes":8}'],
      ["fill/node:draw#0/random:bytes#1", '{"bytes":6}'],
      ["fill/node:draw#0/random:bytes#2", '{"bytes":8}'],
      ["fill/node:draw#0/random:bytes#3", '{"bytes":3}'],
      ["fill/node:draw#0/random:bytes#4", '{"bytes":2}'],
      ["fill/node:draw#0/random:bytes#5", '{"bytes":2}'],
      ["fill/node:draw#0/random:bytes#6", '{"bytes":3}'],
      ["fill/node:draw#0/random:bytes#7", '{"bytes":2}'],
    ]);
    const words = Buffer.from(read[0]?.[2] ?? "", "hex");
    expect([words.readUInt32LE(0), words.readUInt32LE(12)]).toEqual([1, 4]);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [drawn] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(read[1]).toEqual(read[0]);
    // Outside a run, as ever; and the functions keep their names and arity.
    expect(randomBytes(4)).toHaveLength(4);
    expect([randomBytes.name, randomBytes.length, randomFillSync.name, randomFillSync.length]).toEqual(["randomBytes", 2, "randomFillSync", 1]);
  });

  it("throws REPLAY_BYTES_MISMATCH into the agent when a random:bytes step is served other than the bytes it drew, never a buffer part zeros", async () => {
    let thrown: unknown;
    const drawn = deterministicAgent("short", () =>
      node("draw", {}, () => {
        try {
          return randomBytes(8).toString("hex");
        } catch (error) {
          thrown = error;
          throw error;
        }
      }),
    );
    const { runId } = await recordRun(store(), drawn, {
      edit: (spans) => spans.map((s) => (s.attributes[Tracewright.STEP_KIND] === "random" ? { ...s, attributes: { ...s.attributes, "output.value": JSON.stringify(Buffer.alloc(4).toString("base64")) } } : s)),
    });
    expect(thrown).toBeUndefined();
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [drawn] });
    expect(report.outcome).not.toBe("reproduced");
    expect(thrown).toMatchObject({ code: "REPLAY_BYTES_MISMATCH", message: expect.stringContaining("served 4 bytes where 8 were read") as unknown as string });
  });

  it("replays a run recorded deterministic as deterministic, whatever the entry point passes (the root says so)", async () => {
    const seen: number[][] = [];
    const body = (options: Parameters<ReplayableAgent["run"]>[1], deterministic: boolean) =>
      runWithResult(
        "clock",
        {},
        async () => {
          const at = await node("stamp", {}, () => [Date.now(), Math.random()]);
          seen.push(at);
          return at;
        },
        { ...options, ...(deterministic ? { deterministic: true } : {}) },
      );
    const { runId } = await recordRun(store(), { name: "clock", run: (_input, options) => body(options, true) });
    expect((await store().getRunSpans(runId)).find((s) => s.attributes[Tracewright.STEP_KEY] === "clock")?.attributes[Tracewright.RUN_DETERMINISTIC]).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [{ name: "clock", run: (_input, options) => body(options, false) }] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(seen[1]).toEqual(seen[0]);
  });

  it("reproduces a LangGraph messages graph that stops at an interrupt: message ids, checkpoint and interrupt ids all served", async () => {
    // MessagesAnnotation gives each message a random id; an interrupt's id is made from the
    // checkpoint's, a uuid v6 whose random part comes from crypto.getRandomValues.
    const approver = deterministicAgent("approver", async () => {
      const graph = new StateGraph(MessagesAnnotation)
        .addNode("draft", traceNode("draft", () => ({ messages: [new AIMessage("Move image-resize to arm64.")] })))
        .addNode("approve", traceNode("approve", () => ({ messages: [new HumanMessage(String(interrupt("approve the plan?")))] })))
        .addEdge(START, "draft")
        .addEdge("draft", "approve")
        .addEdge("approve", END)
        .compile({ checkpointer: new MemorySaver() });
      return graph.invoke({ messages: [new HumanMessage("Cut our Lambda costs.")] }, { configurable: { thread_id: "thread-1" } });
    });
    const { runId } = await recordRun(store(), approver);
    const recording = await loadRecording(store(), runId);
    expect(recording.root.outputJson).toContain("__interrupt__");
    expect(recording.steps.some((s) => s.key.includes("random:bytes#"))).toBe(true);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [approver] });
    expect(report.outcome, report.summary).toBe("reproduced");
  });

  it("replays a resumed LangGraph invocation in a process whose checkpointer never held the thread: traceCheckpointer records the checkpoint it resumed from", async () => {
    let saver = new MemorySaver();
    /** The human's answer: none on the first invocation (it interrupts), then the resume. */
    let answer: string | undefined;
    const approver = (name: string, traced: boolean) =>
      deterministicAgent(name, async () => {
        const graph = new StateGraph(MessagesAnnotation)
          .addNode("draft", traceNode("draft", () => ({ messages: [new AIMessage("Move image-resize to arm64.")] })))
          .addNode("approve", traceNode("approve", async () => ({ messages: [new HumanMessage(String(await humanInput("approve the plan?", (q) => interrupt(q))))] })))
          .addNode("apply", traceNode("apply", (state: { messages: unknown[] }) => ({ messages: [new AIMessage(`Applied after ${state.messages.length} messages.`)] })))
          .addEdge(START, "draft")
          .addEdge("draft", "approve")
          .addEdge("approve", "apply")
          .addEdge("apply", END)
          .compile({ checkpointer: traced ? traceCheckpointer(saver) : saver });
        const config = { configurable: { thread_id: `thread-${name}` } };
        return graph.invoke(answer === undefined ? { messages: [new HumanMessage("Cut our Lambda costs.")] } : new Command({ resume: answer }), config);
      });
    const resumed = async (name: string, traced: boolean) => {
      saver = new MemorySaver();
      answer = undefined;
      const agent = approver(name, traced);
      const first = await recordRun(store(), agent);
      answer = "yes";
      const second = await recordRun(store(), agent);
      // Replayed where the checkpointer is new: another process's, which never saw the thread.
      saver = new MemorySaver();
      return { agent, first, second };
    };

    const { agent, first, second } = await resumed("approver", true);
    const checkpointOf = async (runId: string) => (await loadRecording(store(), runId)).steps.find((s) => s.key === "approver/state:checkpoint#0");
    expect((await checkpointOf(first.runId))?.outputJson).toBe("null");
    const read = await checkpointOf(second.runId);
    expect(JSON.parse(read?.inputJson ?? "{}")).toEqual({ thread_id: "thread-approver", checkpoint_ns: "", checkpoint_id: null });
    expect(read?.outputJson).toContain("approve the plan?");
    const recorded = (await loadRecording(store(), second.runId)).root.outputJson;
    expect(recorded).toContain("Applied after 3 messages.");
    const report = await replay({ store: store(), runId: second.runId, mode: "reproduce", agents: [agent] });
    expect(report.outcome, report.summary).toBe("reproduced");

    // Without it, the resume finds no checkpoint where it replays, and does not run as it ran.
    const bare = await resumed("bare", false);
    const unrecorded = await replay({ store: store(), runId: bare.second.runId, mode: "reproduce", agents: [bare.agent] });
    expect(unrecorded.outcome).not.toBe("reproduced");
  });

  it("replays one invocation of a deterministic run (a run inside the run) deterministic too", async () => {
    const stamp = () => node("stamp", {}, () => ({ at: Date.now(), r: Math.random() }));
    const worker: ReplayableAgent = { name: "worker", run: (input, options) => runWithResult("worker", input, stamp, options) };
    const sup = deterministicAgent("sup", async () => {
      const w = await runWithResult("worker", { job: 1 }, stamp);
      return tool("report", w.output, (o) => (o?.at ?? 0) > 0);
    });
    const { runId } = await recordRun(store(), sup);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await replay({ store: store(), runId, mode: "reproduce", agents: [sup, worker] })).outcome).toBe("reproduced");
    const one = await replay({ store: store(), runId, mode: "reproduce", agents: [sup, worker], step: "sup/agent:worker#0" });
    expect(one.outcome, one.summary).toBe("reproduced");
  });
});

