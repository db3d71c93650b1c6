import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BasicTracerProvider, InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Sampler } from "@opentelemetry/sdk-trace-base";
import type { Tracing } from "./init.js";
import { init } from "./init.js";
import { OpenInference, Tracewright } from "./conventions.js";
import { hashJson, stepInputHash } from "./hash.js";
import { serialize } from "./serialize.js";
import { llm, node, runWithResult, tool } from "./steps.js";

/** A state that counts how often its field is read. */
function countedState(): { state: { q: string }; reads: () => number } {
  let reads = 0;
  const state = {} as { q: string };
  Object.defineProperty(state, "q", { enumerable: true, get: () => (reads++, "lambda pricing") });
  return { state, reads: () => reads };
}

async function agent(state: { q: string }): Promise<void> {
  await node("research", state, async (s) => {
    await llm({ model: "m", messages: [s] }, () => ({ text: "ok" }));
    await tool("fetch", s, () => Promise.reject(new Error("503"))).catch(() => undefined);
    return s;
  });
}

describe("a sampled-out run", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  beforeAll(() => {
    tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], sampleRatio: 0, register: false });
  });
  afterAll(() => tracing.shutdown());

  it("serializes none of its steps' states: only the root's input, which the sampler may read", async () => {
    const { state, reads } = countedState();
    const result = await runWithResult("supervisor", { goal: "g" }, () => agent(state));
    expect(result.status).toBe("ok");
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    // Read by the agent's own code only: the node passes the state on, the llm puts it in its messages.
    expect(reads()).toBe(0);
  });

  it("still runs every step and rethrows the agent's errors unchanged", async () => {
    const boom = new TypeError("bad");
    const result = await runWithResult("supervisor", {}, () => node("n", {}, () => tool("t", {}, () => Promise.reject(boom))));
    expect(result).toMatchObject({ status: "error", error: boom });
  });
});

describe("a sampled-out run with a payload transport", () => {
  it("sends no payload for its root's input, however large: nothing would refer to it", async () => {
    const puts: string[] = [];
    const sampledOut = init({ exporter: new InMemorySpanExporter(), payloadEndpoint: { put: async (hash) => void puts.push(hash) }, sampleRatio: 0, maxInlineBytes: 1024, register: false });
    await runWithResult("supervisor", { doc: "x".repeat(5000) }, () => tool("t", { doc: "y".repeat(5000) }, () => "z".repeat(5000)));
    await sampledOut.shutdown();
    expect(puts).toEqual([]);
    expect(sampledOut.stats()).toMatchObject({ payloadsExported: 0, exported: 0 });
  });

});

describe("a sampler that is not by run", () => {
  it("records a step under an unrecorded parent with its input whole, serialized once it is known to record", async () => {
    const exporter = new InMemorySpanExporter();
    // Drops the root alone: the steps under it are recorded though their parent is not.
    const sampler: Sampler = { shouldSample: (_ctx, _trace, name) => ({ decision: name.startsWith("invoke_agent") ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED }), toString: () => "all but roots" };
    const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const { state, reads } = countedState();
    await runWithResult("supervisor", {}, () => tool("fetch", state, () => "done"), { tracer: provider.getTracer("test") });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("execute_tool fetch");
    expect(span?.attributes[OpenInference.INPUT_VALUE]).toBe('{"q":"lambda pricing"}');
    // Its input whole in `input.value`: the hash is the readers' to derive, from that text.
    expect(span?.attributes[Tracewright.INPUT_HASH]).toBeUndefined();
    expect(stepInputHash(span?.attributes ?? {})).toBe(hashJson('{"q":"lambda pricing"}'));
    expect(span?.attributes[OpenInference.OUTPUT_VALUE]).toBe('"done"');
    const once = countedState();
    serialize(once.state);
    expect(reads()).toBe(once.reads());
  });
});

describe("what a sampler is given", () => {
  it("a program's own tracer: its sampler sees a step's attributes, the step key, kind and input among them", async () => {
    const exporter = new InMemorySpanExporter();
    const seen: Record<string, unknown>[] = [];
    // Records tool calls only, by what their attributes say.
    const sampler: Sampler = {
      shouldSample: (_ctx, _trace, _name, _kind, attributes) => {
        seen.push({ ...attributes });
        return { decision: attributes[Tracewright.STEP_KIND] === "tool" ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD };
      },
      toString: () => "tools",
    };
    const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    await runWithResult("supervisor", {}, () => node("plan", { goal: "g" }, () => tool("fetch", { url: "u" }, () => "done")), { tracer: provider.getTracer("test") });
    const fetch = seen.find((a) => a[Tracewright.STEP_KEY] === "supervisor/node:plan#0/tool:fetch#0");
    expect(fetch).toMatchObject({ [Tracewright.STEP_KIND]: "tool", [OpenInference.INPUT_VALUE]: '{"url":"u"}' });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["execute_tool fetch"]);
  });

  it("init()'s tracer samples by trace id alone: its spans carry every attribute all the same", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false });
    try {
      await runWithResult("supervisor", {}, () => tool("fetch", { url: "u" }, () => "done"));
      const span = exporter.getFinishedSpans().find((s) => s.name === "execute_tool fetch");
      expect(span?.attributes).toMatchObject({ [Tracewright.STEP_KEY]: "supervisor/tool:fetch#0", [Tracewright.STEP_KIND]: "tool", [OpenInference.INPUT_VALUE]: '{"url":"u"}', [OpenInference.OUTPUT_VALUE]: '"done"' });
      expect(span?.attributes[Tracewright.RUN_ID]).toBe(span?.spanContext().traceId);
    } finally {
      await tracing.shutdown();
    }
  });
});
