import { trace } from "@opentelemetry/api";
import { llm, node, tool } from "@tracewright/instrument";
import { OpenInference, PayloadMarker, Tracewright, payloadMarker } from "@tracewright/instrument/conventions";
import type { SpanRecord } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { runScenario } from "@tracewright/reference-agents";
import { replay } from "./engine.js";
import { ReplayError } from "./errors.js";
import { insideBoundaries, toRecording } from "./recording.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";
import { CollectingProcessor } from "./spans.js";
import type { ReplayableAgent } from "./types.js";

// Recordings as they arrive from real deployments: mixed with other OpenTelemetry
// instrumentation's spans, with spans lost or sent twice, with payloads that never arrived.

const store = storePerTest();
const record = (agent: ReplayableAgent, edit?: (spans: SpanRecord[]) => SpanRecord[]) => recordRun(store(), agent, { global: true, ...(edit === undefined ? {} : { edit }) });

describe("a run the store does not have", () => {
  it("in an empty store: replay says the store is likely not the collector's, and how the store is chosen", async () => {
    const refused = replay({ store: store(), runId: "5d2a52bb86925827b8d1ccc601fbfc7f", mode: "reproduce", agents: [] });
    await expect(refused).rejects.toMatchObject({ code: "REPLAY_NO_RUN" });
    await expect(refused).rejects.toThrow(/No run 5d2a52bb86925827b8d1ccc601fbfc7f in the store\. The store holds no runs at all: is it the one the collector writes to\? openSqliteStore\(\) opens TRACEWRIGHT_DB/);
  });

  it("in a store with runs: replay points at the list", async () => {
    await record(replayable("other", () => tool("t", {}, () => 1)));
    await expect(replay({ store: store(), runId: "nope", mode: "reproduce", agents: [] })).rejects.toThrow("No run nope in the store. List runs with: npx tracewright runs list");
  });
});

describe("a run that has not ended", () => {
  it("is refused, saying to wait for it, and that a run whose process died never ends", async () => {
    // What the store has of a run whose process died after its first step: the run-start span and that step, no root.
    const { runId } = await record(replayable("crashed", () => tool("t", {}, () => 1)), (spans) => spans.filter((s) => s.parentSpanId !== undefined));
    expect((await store().getRun(runId))?.status).toBe("running");
    const refused = replay({ store: store(), runId, mode: "reproduce", agents: [] });
    await expect(refused).rejects.toMatchObject({ code: "REPLAY_RUN_INCOMPLETE" });
    await expect(refused).rejects.toThrow(`A run whose process died (a Lambda timeout, a crash) never ends: its steps that did end are in npx tracewright runs show ${runId}`);
  });
});

describe("spans of other instrumentation in a run", () => {
  // The user's own span around a tool call, and a client span (what HTTP or AWS SDK
  // auto-instrumentation makes) inside another: the global tracer records both in the run's trace.
  const mixed: ReplayableAgent = replayable("mixed", async () => {
    const other = trace.getTracer("users-own");
    const hits = await other.startActiveSpan("retrieve", async (span) => {
      try {
        return await tool("search", { q: "lambda" }, () => ["doc-1"]);
      } finally {
        span.end();
      }
    });
    return tool("fetch", { id: hits[0] }, () => other.startActiveSpan("GET", (span) => (span.end(), { text: "body" })));
  });

  it("are not replay steps: the run reproduces, and its steps hang under their instrumented parent", async () => {
    const { runId } = await record(mixed);
    const spans = await store().getRunSpans(runId);
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(["retrieve", "GET"]));

    const recording = toRecording((await store().getRun(runId))!, spans);
    expect(recording.steps.map((s) => [s.key, s.parentKey, s.seq])).toEqual([
      ["mixed", null, 0],
      ["mixed/tool:search#0", "mixed", 0],
      ["mixed/tool:fetch#0", "mixed", 1],
    ]);

    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [mixed] });
    expect(report.divergences).toEqual([]);
    expect(report).toMatchObject({ outcome: "reproduced", stats: { hits: 2, live: 0, unused: 0, traceIdentical: true } });
  });
});

describe("a recording with spans lost, sent twice, a payload that never arrived, or a state that is no JSON", () => {
  const pipeline: ReplayableAgent = replayable("pipeline", () =>
    node("research", {}, async () => {
      const docs = await tool("search", { q: "lambda" }, () => ({ docs: ["d1", "d2"] }));
      const text = await tool("fetch", { id: docs.docs[0] }, () => "body");
      return { docs, text };
    }),
  );
  const without = (key: string) => (spans: SpanRecord[]) => spans.filter((s) => s.attributes[Tracewright.STEP_KEY] !== key);

  it("a lost boundary span: replay refuses, naming the parent and the missing call position, instead of blaming the code", async () => {
    const { runId } = await record(pipeline, without("pipeline/node:research#0/tool:search#0"));
    const error = await replay({ store: store(), runId, mode: "reproduce", agents: [pipeline] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayError);
    expect(error).toMatchObject({ code: "REPLAY_RECORDING_GAP" });
    expect((error as Error).message).toContain(`Run ${runId}`);
    expect((error as Error).message).toContain("pipeline/node:research#0 has no recorded call #0 (of 2)");
  });

  it("a lost last call (nothing recorded after it): the count its parent recorded names it", async () => {
    const { runId } = await record(pipeline, without("pipeline/node:research#0/tool:fetch#0"));
    const error = await replay({ store: store(), runId, mode: "reproduce", agents: [pipeline] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REPLAY_RECORDING_GAP" });
    expect((error as Error).message).toContain("pipeline/node:research#0 has no recorded call #1 (of 2)");
  });

  it("a lost node span: its recorded children are named as orphans", async () => {
    const { runId } = await record(pipeline, without("pipeline/node:research#0"));
    const error = await replay({ store: store(), runId, mode: "verify-fix", agents: [pipeline] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REPLAY_RECORDING_GAP" });
    expect((error as Error).message).toContain("pipeline/node:research#0/tool:search#0 and 1 more have no recorded parent step (pipeline/node:research#0)");
  });

  it("a span sent twice counts once", async () => {
    const { runId, spans } = await record(pipeline);
    const run = (await store().getRun(runId))!;
    const twice = toRecording(run, [...spans, ...spans.map((s) => structuredClone(s))]);
    expect(twice.steps).toEqual(toRecording(run, spans).steps);
    expect(twice.steps).toHaveLength(4);
  });

  it("a state sent by reference whose payload the store never got: replay refuses, naming the step and the ref, instead of serving the marker", async () => {
    const ref = "ab".repeat(32);
    const { runId } = await record(pipeline, (spans) =>
      spans.map((s) =>
        s.attributes[Tracewright.STEP_KEY] === "pipeline/node:research#0/tool:search#0"
          ? { ...s, attributes: { ...s.attributes, [OpenInference.OUTPUT_VALUE]: payloadMarker(PayloadMarker.OFFLOADED, { bytes: 30, preview: '{"docs":["d1"', ref }), [Tracewright.PAYLOAD_REF]: [ref] } }
          : s,
      ),
    );
    const error = await replay({ store: store(), runId, mode: "reproduce", agents: [pipeline] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REPLAY_PAYLOAD_MISSING" });
    expect((error as Error).message).toContain(`the output of tool search at pipeline/node:research#0/tool:search#0 (ref ${ref}, 30 bytes)`);
    // The gap is the recording's alone: the same run with its payload stored replays.
    await store().putPayload(ref, '{"docs":["d1","d2"]}');
    expect((await replay({ store: store(), runId, mode: "reproduce", agents: [pipeline] })).outcome).toBe("reproduced");
  });

  it("a state that is no JSON: replay refuses before anything runs, naming the step and the parse error, instead of failing inside the agent", async () => {
    const { runId } = await record(pipeline, (spans) =>
      spans.map((s) => (s.attributes[Tracewright.STEP_KEY] === "pipeline/node:research#0/tool:search#0" ? { ...s, attributes: { ...s.attributes, [OpenInference.INPUT_VALUE]: "{not json" } } : s)),
    );
    const error = await replay({ store: store(), runId, mode: "reproduce", agents: [pipeline] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayError);
    expect(error).toMatchObject({ code: "REPLAY_STATE_INVALID" });
    expect((error as Error).message).toMatch(/the input of tool search at pipeline\/node:research#0\/tool:search#0 \(.*JSON/);
  });
});

describe("a boundary with recorded steps inside it", () => {
  // A tool whose function calls a model and reads a uuid (an agent used as a tool): recorded,
  // those steps hang under the tool; served, the tool's function does not run, so they are not
  // expected — neither missing calls, nor unused results, nor a difference in the trace.
  const asTool: ReplayableAgent = replayable("lead", async (ctx) => {
    const found = await tool("research", { topic: "lambda" }, async (args) => {
      const reply = await llm({ model: "scripted", messages: [{ role: "user", content: args.topic }] }, () => ({ text: "summary" }));
      return { reply: reply.text, id: ctx.uuid() };
    });
    return tool("write", found, (f) => `report ${f.reply}`);
  });

  it("reproduces with every step inside the served tool left alone", async () => {
    const { runId } = await record(asTool);
    const recording = toRecording((await store().getRun(runId))!, await store().getRunSpans(runId));
    expect(recording.steps.map((s) => s.key)).toEqual(["lead", "lead/tool:research#0", "lead/tool:research#0/llm:scripted#0", "lead/tool:research#0/uuid:uuid#0", "lead/tool:write#0"]);
    for (const mode of ["reproduce", "verify-fix"] as const) {
      const report = await replay({ store: store(), runId, mode, agents: [asTool] });
      expect(report.divergences).toEqual([]);
      expect(report).toMatchObject({ stats: { hits: 2, live: 0, unused: 0, traceIdentical: true }, unusedKeys: [] });
    }
  });

  it("except under a message step: the consumers there are delivered again on replay, and checked", async () => {
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    const result = await runScenario("choreography", "success", { latencyScale: 0, runOptions: { tracer: provider.getTracer("test") } });
    await store().ingest(collected.spans);
    const recording = toRecording((await store().getRun(result.runId))!, await store().getRunSpans(result.runId));
    const consumers = recording.steps.filter((s) => s.kind === "agent" && s.parentKey !== null && recording.byKey.get(s.parentKey)?.kind === "message");
    expect(consumers.length).toBeGreaterThan(0);
    const inside = insideBoundaries(recording.steps);
    expect(recording.steps.filter((s) => inside.has(s.key) && consumers.some((c) => s.key.startsWith(c.key)))).toEqual([]);
  });
});
