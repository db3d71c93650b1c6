import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeSpan } from "@tracewright/store/testing";
import { startFakeLangSmith } from "../fakes/langsmith.fixtures.js";
import type { FakeLangSmith } from "../fakes/langsmith.fixtures.js";
import { contractBatch, describeSinkContract } from "../sink.contract.js";
import { context } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { carry, fromHttpHeaders, init, llm, node, resume, runWithResult, toHttpHeaders, tool } from "@tracewright/instrument";
import type { Tracing } from "@tracewright/instrument";
import { isRunStart, MAX_ANCESTRY, Tracewright } from "@tracewright/instrument/conventions";
import { decodeOtlpJson } from "../otlp/json.js";
import { dottedPart, fromLangSmithRun, httpStatus, langsmithSink, runId, toLangSmithRun } from "./sink.js";
import type { LangSmithRun } from "./sink.js";
import type { SpanRecord } from "@tracewright/store";
import type { SpanRejection } from "../sink.js";

const fastRetry = { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 };
const sinkFor = (fake: FakeLangSmith, timeoutMs = 2_000) => langsmithSink({ apiUrl: fake.url, apiKey: "ls-fake", project: "tw-test", retry: fastRetry, timeoutMs });
/**
 * The spans `work` records through the real instrumentation, in the order they end (the order the
 * export queue sends them), decoded by the collector's own OTLP/JSON decoder.
 */
async function recorded(work: (tracing: Tracing) => Promise<unknown>): Promise<SpanRecord[]> {
  const ended: ReadableSpan[] = [];
  const tracing = init({ serviceName: "langsmith-test", spanProcessors: [{ onStart() {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }] });
  try {
    await work(tracing);
  } finally {
    await tracing.shutdown();
  }
  return decodeOtlpJson(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(ended))).spans;
}

const delivered = (fake: FakeLangSmith) => fake.runs().map((r) => fromLangSmithRun(r as unknown as LangSmithRun));

let fake: FakeLangSmith;
describeSinkContract("langsmith", async () => {
  fake = await startFakeLangSmith();
  return { sink: sinkFor(fake), idempotent: true, delivered: async () => delivered(fake), teardown: () => fake.close() };
});

describeSinkContract("langsmith (30% injected failures)", async () => {
  fake = await startFakeLangSmith();
  fake.setFaults({ rate: 0.3, seed: 3 });
  return { sink: sinkFor(fake, 300), idempotent: true, delivered: async () => delivered(fake), teardown: () => fake.close() };
});

describe("langsmithSink", () => {
  let ls: FakeLangSmith;
  beforeEach(async () => {
    ls = await startFakeLangSmith();
  });
  afterEach(async () => {
    await ls.close();
  });

  it("maps steps to runs: run types, parent/child, inputs, outputs, errors, in one trace whose dotted orders LangSmith takes", async () => {
    const spans = await recorded(async () => {
      await runWithResult("supervisor", { goal: "g" }, async () => {
        await node("plan", { step: 1 }, async () => {
          await llm({ model: "claude", messages: [] }, () => ({ text: "hi" }));
          await tool("fetch", { url: "doc://x" }, () => Promise.reject(new Error("tool failed"))).catch(() => undefined);
        });
        return { answer: 42 };
      });
    });
    const sink = sinkFor(ls);
    // As the export queue sends them: children end, and are exported, before their parents.
    await sink.write(spans);
    await sink.close();
    const byKey = new Map(spans.map((span) => [span.attributes[Tracewright.STEP_KEY], span]));
    const runOf = (key: string) => ls.runs().find((r) => r.id === runId(byKey.get(key)!.traceId, byKey.get(key)!.spanId));
    const rootId = runId(byKey.get("supervisor")!.traceId, byKey.get("supervisor")!.spanId);
    const planId = runOf("supervisor/node:plan#0")?.id;
    expect(runOf("supervisor")).toMatchObject({ name: "invoke_agent supervisor", run_type: "chain", inputs: { goal: "g" }, outputs: { answer: 42 }, session_name: "tw-test", trace_id: rootId });
    expect(runOf("supervisor")?.parent_run_id).toBeUndefined();
    expect(runOf("supervisor/node:plan#0")).toMatchObject({ run_type: "chain", parent_run_id: rootId, trace_id: rootId });
    expect(runOf("supervisor/node:plan#0/llm:claude#0")).toMatchObject({ run_type: "llm", parent_run_id: planId, trace_id: rootId, outputs: { text: "hi" } });
    const failed = runOf("supervisor/node:plan#0/tool:fetch#0");
    expect(failed).toMatchObject({ run_type: "tool", parent_run_id: planId, trace_id: rootId, inputs: { url: "doc://x" } });
    expect(String(failed?.error)).toMatch(/^Error: tool failed\nError: tool failed\n {4}at /);
    // Each dotted order is its parent's, then the run's own place (its start's ms, its position
    // among its siblings: the fetch is the node's second call) and id.
    const started = Number(BigInt(byKey.get("supervisor/node:plan#0/tool:fetch#0")!.startTimeUnixNano) / 1_000_000n);
    expect(String(failed?.dotted_order)).toBe(`${String(runOf("supervisor/node:plan#0")?.dotted_order)}.${dottedPart(started * 1000 + 1, String(failed?.id))}`);
    expect(ls.runs()).toHaveLength(4);
    expect(ls.apiKeys.every((k) => k === "ls-fake")).toBe(true);
  });

  it("writes a dotted-order part as LangSmith does: UTC date, T, time to the µs, Z, the run id", () => {
    const id = runId("a".repeat(32), "b".repeat(16));
    // 2026-12-01T18:55:40.187Z, and 250 in the µs digits.
    expect(dottedPart(1796151340187250, id)).toBe(`20261201T185540187250Z${id}`);
    expect(dottedPart(1767225600000000, id)).toBe(`20260101T000000000000Z${id}`);
  });

  it("orders siblings started in the same millisecond by their call order, as LangSmith sorts dotted orders", async () => {
    const spans = await recorded(() => runWithResult("supervisor", {}, () => node("research", {}, async () => {
      for (let i = 0; i < 12; i++) await tool("search", { i }, () => i);
    })));
    const sink = sinkFor(ls);
    await sink.write(spans);
    await sink.close();
    const keysInOrder = ls.runs().sort((a, b) => (String(a.dotted_order) < String(b.dotted_order) ? -1 : 1)).map((r) => (r.extra as { metadata: { tracewright_step_key: string } }).metadata.tracewright_step_key);
    expect(keysInOrder).toEqual(["supervisor", "supervisor/node:research#0", ...Array.from({ length: 12 }, (_, i) => `supervisor/node:research#0/tool:search#${i}`)]);
  });

  it("starts a LangSmith trace of its own where a span's chain is not known whole: under another instrumentation's span, a consumer's root without the producer's chain, past the deepest ancestry", async () => {
    const carried: Record<string, string> = {};
    const depth = MAX_ANCESTRY + 5;
    const spans = await recorded(async (tracing) => {
      const foreign = tracing.provider.getTracer("user-code");
      await runWithResult("producer", {}, async () => {
        // The user's own span between two steps: the inner step's parent is not a step.
        await node("outer", {}, () => foreign.startActiveSpan("user span", async (span) => {
          await tool("inner", {}, () => "ok");
          span.end();
        }));
        Object.assign(carried, toHttpHeaders(carry()));
        const nest = (n: number): Promise<unknown> => node(`level${n}`, { n }, () => (n < depth ? nest(n + 1) : "bottom"));
        await nest(1);
      });
      // Consumers, as in another process: their root's parent is the producer's span. The chain
      // comes along with the headers; a carrier that lost it (a proxy that drops unknown headers)
      // leaves the consumer to top a trace of its own.
      await context.with(resume(fromHttpHeaders(carried)), () => runWithResult("consumer", {}, () => tool("work", {}, () => "done")));
      const { "tracewright-ancestry": _dropped, ...stripped } = carried;
      await context.with(resume(fromHttpHeaders(stripped)), () => runWithResult("stripped", {}, () => tool("work", {}, () => "done")));
    });
    const rejections: SpanRejection[] = [];
    const sink = langsmithSink({ apiUrl: ls.url, apiKey: "k", project: "p", retry: fastRetry, report: (r) => rejections.push(r) });
    await sink.write(spans);
    await sink.close();
    expect(rejections).toEqual([]);
    expect(ls.runs()).toHaveLength(spans.filter((s) => !isRunStart(s)).length);
    const runOf = (span: SpanRecord) => ls.runs().find((r) => r.id === runId(span.traceId, span.spanId))!;
    const top = (name: string) => spans.filter((s) => s.name === name).map(runOf);
    const [user] = spans.filter((s) => s.name === "user span");
    // Not a step, its chain is unknown: it tops a trace, and so does the step under it.
    expect(top("user span")[0]).toMatchObject({ trace_id: runOf(user!).id, extra: { metadata: { parent_span_id: user!.parentSpanId } } });
    expect(top("user span")[0]?.parent_run_id).toBeUndefined();
    const [inner] = spans.filter((s) => s.name === "execute_tool inner");
    expect(top("execute_tool inner")[0]).toMatchObject({ trace_id: runOf(inner!).id, extra: { metadata: { parent_span_id: user!.spanId } } });
    expect(top("execute_tool inner")[0]?.parent_run_id).toBeUndefined();
    // One trace from the producer through the hop: the consumer sits under the step that sent.
    const producer = top("invoke_agent producer")[0]!;
    const consumer = top("invoke_agent consumer")[0]!;
    expect(consumer).toMatchObject({ parent_run_id: producer.id, trace_id: producer.id });
    const stripped = top("invoke_agent stripped")[0]!;
    expect(stripped.parent_run_id).toBeUndefined();
    expect(stripped.trace_id).toBe(stripped.id);
    expect(top("execute_tool work").map((r) => [r.parent_run_id, r.trace_id])).toEqual([
      [consumer.id, producer.id],
      [stripped.id, stripped.id],
    ]);
    // Down a deep chain, every run but the ones the bound restarts sits under its parent.
    const levels = spans.filter((s) => /^node level\d+$/.test(s.name)).map(runOf);
    expect(levels).toHaveLength(depth);
    expect(levels.filter((r) => r.parent_run_id === undefined)).toHaveLength(1);
    expect(Math.max(...levels.map((r) => String(r.dotted_order).split(".").length))).toBe(MAX_ANCESTRY + 1);
  });

  it("wraps a state that is not a JSON object, and restores it exactly", () => {
    const span = makeSpan({ run: "r", key: "s", attributes: { "input.value": "[1, 2]", "output.value": "plain text" } });
    const run = toLangSmithRun(span, "p");
    expect(run.inputs).toEqual({ value: [1, 2] });
    expect(run.outputs).toEqual({ value: "plain text" });
    expect(fromLangSmithRun(run)).toEqual(span);
  });

  it("makes stable UUID run ids, so a redelivered span upserts one run", () => {
    expect(runId("a".repeat(32), "b".repeat(16))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(runId("a".repeat(32), "b".repeat(16))).toBe(runId("a".repeat(32), "b".repeat(16)));
  });

  it("names the run of a span that has no name (OTLP allows it, LangSmith requires one) instead of failing the batch", async () => {
    const rejections: SpanRejection[] = [];
    const sink = langsmithSink({ apiUrl: ls.url, apiKey: "k", retry: fastRetry, report: (r) => rejections.push(r) });
    const unnamed = { ...makeSpan({ run: "r", key: "supervisor/node:plan#0", parent: "supervisor" }), name: "" };
    const other = { ...makeSpan({ run: "r", key: "x" }), name: "", attributes: {} };
    await sink.write([unnamed, other]);
    await sink.close();
    expect(rejections).toEqual([]);
    expect(ls.runs().find((r) => r.id === runId(unnamed.traceId, unnamed.spanId))?.name).toBe("node:plan#0");
    expect(ls.runs().find((r) => r.id === runId(other.traceId, other.spanId))?.name).toBe("span");
    expect(fromLangSmithRun(ls.runs().find((r) => r.id === runId(unnamed.traceId, unnamed.spanId)) as unknown as LangSmithRun)).toEqual(unnamed);
  });

  it("reports per span the runs LangSmith refuses for good (a 4xx), and delivers the rest of the batch", async () => {
    const rejections: SpanRejection[] = [];
    const sink = langsmithSink({ apiUrl: ls.url, apiKey: "k", retry: fastRetry, report: (r) => rejections.push(r) });
    ls.refuseRuns((run) => (run.name === "bad" ? "injected refusal" : undefined));
    const spans = Array.from({ length: 7 }, (_, i) => makeSpan({ run: "r", key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor" }));
    const bad = { ...(spans[4] as SpanRecord), name: "bad" };
    spans[4] = bad;
    await sink.write(spans);
    await sink.close();
    expect(ls.runs()).toHaveLength(6);
    expect(rejections).toEqual([{ sink: "langsmith", traceId: bad.traceId, spanId: bad.spanId, reason: expect.stringMatching(/^LangSmith refused the run for good: .*422/) as unknown as string }]);
  });

  it("reads a failure's HTTP status as the client writes it, never from a port in a network error", () => {
    expect(httpStatus({ status: 409 })).toBe(409);
    expect(httpStatus(new Error("Failed to batch create run. Received status [422]: Unprocessable Entity. Message: name is required"))).toBe(422);
    // A port is no status: read as 443 it was a 4xx, a refusal for good, and the runs were reported lost instead of retried.
    expect(httpStatus(new Error("connect ETIMEDOUT 10.0.0.1:443"))).toBeUndefined();
    expect(httpStatus(new Error("request to https://api.smith.langchain.com:443/runs/batch failed, reason: socket hang up"))).toBeUndefined();
  });

  it("retries 429, 500 and timeouts; rejects the write when they outlast the retries", async () => {
    const sink = langsmithSink({ apiUrl: ls.url, apiKey: "k", retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 300 });
    ls.failNext("throttle");
    ls.failNext("server-error");
    ls.failNext("timeout");
    await sink.write(contractBatch());
    expect(ls.runs()).toHaveLength(3);
    ls.failNext("server-error", 4);
    await expect(sink.write([makeSpan({ run: "r2", key: "x" })])).rejects.toMatchObject({ code: "SINK_WRITE_FAILED", sink: "langsmith" });
    await sink.close();
  });
});
