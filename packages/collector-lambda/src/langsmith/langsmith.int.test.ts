import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeSpan } from "@tracewright/store/testing";
import { startFakeLangSmith } from "../fakes/langsmith.fixtures.js";
import type { FakeLangSmith } from "../fakes/langsmith.fixtures.js";
import { contractBatch, describeSinkContract } from "../sink.contract.js";
import { fromLangSmithRun, httpStatus, langsmithSink, runId, toLangSmithRun } from "./sink.js";
import type { LangSmithRun } from "./sink.js";
import type { SpanRecord } from "@tracewright/store";
import type { SpanRejection } from "../sink.js";

const fastRetry = { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 };
const sinkFor = (fake: FakeLangSmith, timeoutMs = 2_000) => langsmithSink({ apiUrl: fake.url, apiKey: "ls-fake", project: "tw-test", retry: fastRetry, timeoutMs });
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

  it("maps steps to runs: run types, parent/child, inputs, outputs, errors", async () => {
    const root = makeSpan({ run: "r1", key: "supervisor", input: { goal: "g" }, output: { answer: 42 } });
    const llm = makeSpan({ run: "r1", key: "supervisor/llm:claude#0", kind: "llm", parent: "supervisor", input: { messages: [] }, output: { text: "hi" } });
    const tool = makeSpan({ run: "r1", key: "supervisor/tool:fetch#0", kind: "tool", parent: "supervisor", error: "tool failed", input: { url: "doc://x" } });
    const sink = sinkFor(ls);
    await sink.write([root, llm, tool]);
    await sink.close();
    const runs = new Map(ls.runs().map((r) => [r.id as string, r]));
    expect(runs.get(runId(root.traceId, root.spanId))).toMatchObject({ name: "supervisor", run_type: "chain", inputs: { goal: "g" }, outputs: { answer: 42 }, session_name: "tw-test", extra: { metadata: { tracewright_run_id: "r1", tracewright_step_key: "supervisor" } } });
    expect(runs.get(runId(root.traceId, root.spanId))?.parent_run_id).toBeUndefined();
    expect(runs.get(runId(llm.traceId, llm.spanId))).toMatchObject({ run_type: "llm", parent_run_id: runId(root.traceId, root.spanId), outputs: { text: "hi" } });
    expect(runs.get(runId(tool.traceId, tool.spanId))).toMatchObject({ run_type: "tool", parent_run_id: runId(root.traceId, root.spanId), inputs: { url: "doc://x" } });
    expect(String(runs.get(runId(tool.traceId, tool.spanId))?.error)).toMatch(/^Error: tool failed\nError: tool failed\n {4}at tool/);
    expect(ls.apiKeys.every((k) => k === "ls-fake")).toBe(true);
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
