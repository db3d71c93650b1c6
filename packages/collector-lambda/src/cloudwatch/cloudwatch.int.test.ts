import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudWatchLogsStore, LOG_LIMITS, decodeSpanEvents } from "@tracewright/store";
import type { SpanRecord } from "@tracewright/store";
import { makeRunStart, makeSpan } from "@tracewright/store/testing";
import { describeStoreContract } from "../../../store/src/store.contract.js";
import { FAKE_AWS } from "../fakes/aws.fixtures.js";
import { startFakeLogs } from "../fakes/logs.fixtures.js";
import type { FakeLogs } from "../fakes/logs.fixtures.js";
import { init, node, runWithResult } from "@tracewright/instrument";
import { OpenInference, PayloadMarker, Tracewright } from "@tracewright/instrument/conventions";
import { startCollector } from "../server.js";
import { CONTRACT_RUN_ID, contractBatch, describeSinkContract } from "../sink.contract.js";
import type { SpanRejection } from "../sink.js";
import { cloudwatchSink } from "./sink.js";
import type { CloudWatchSinkOptions } from "./sink.js";

const GROUP = "/tracewright/test";
const fastRetry = { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 };

function sinkFor(fake: FakeLogs, options: CloudWatchSinkOptions = {}) {
  return cloudwatchSink({ clientConfig: { endpoint: fake.url, ...FAKE_AWS }, logGroupName: GROUP, retry: fastRetry, requestTimeoutMs: 300, ...options });
}

function storeFor(fake: FakeLogs) {
  return new CloudWatchLogsStore({ clientConfig: { endpoint: fake.url, ...FAKE_AWS }, logGroupName: GROUP, pollIntervalMs: 1, retry: fastRetry });
}

const spansIn = (fake: FakeLogs): SpanRecord[] => decodeSpanEvents(fake.events(GROUP).map((e) => e.message)).spans;

let fake: FakeLogs;
describeSinkContract("cloudwatch (PutLogEvents)", async () => {
  fake = await startFakeLogs();
  return {
    sink: sinkFor(fake),
    idempotent: false, // a resent span is logged again; readers keep one copy
    delivered: async () => spansIn(fake),
    teardown: () => fake.close(),
  };
});

describeSinkContract("cloudwatch (PutLogEvents, 30% injected failures)", async () => {
  fake = await startFakeLogs();
  fake.setFaults({ rate: 0.3, seed: 11 });
  return { sink: sinkFor(fake), idempotent: false, delivered: async () => spansIn(fake), teardown: () => fake.close() };
});

describeStoreContract("CloudWatch Logs (local endpoint)", async () => {
  const logs = await startFakeLogs();
  const store = storeFor(logs);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await logs.close();
  };
  return store;
});

describe("cloudwatchSink", () => {
  let logs: FakeLogs;
  let rejections: SpanRejection[];
  beforeEach(async () => {
    logs = await startFakeLogs();
    rejections = [];
  });
  afterEach(async () => {
    await logs.close();
  });

  it("creates the log group and stream on demand, an existing one being fine", async () => {
    const first = sinkFor(logs, { logStreamName: "s" });
    await first.write(contractBatch());
    const second = sinkFor(logs, { logStreamName: "s" });
    await second.write(contractBatch());
    await first.close();
    await second.close();
    expect(logs.groups()).toEqual([GROUP]);
    expect(logs.streams(GROUP)).toEqual(["s"]);
    expect(logs.calls).toMatchObject({ CreateLogGroup: 2, CreateLogStream: 2, PutLogEvents: 2 });
    expect(logs.events(GROUP)).toHaveLength(6);
  });

  it("writes one event per step with the ids that join X-Ray, and the whole state", async () => {
    const sink = sinkFor(logs);
    await sink.write(contractBatch());
    await sink.close();
    const first = JSON.parse(logs.events(GROUP).map((e) => e.message).find((m) => m.includes('"00f067aa0ba902b7"')) ?? "{}") as Record<string, unknown>;
    expect(first).toMatchObject({ tw: "span", traceId: "1-4bf92f35-77b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", runId: CONTRACT_RUN_ID, part: 0, parts: 1, root: 1, error: 1 });
    expect(first.span).toEqual(contractBatch()[0]);
  });

  it("refuses aws/spans and other reserved groups", () => {
    expect(() => cloudwatchSink({ logGroupName: "aws/spans" })).toThrow(expect.objectContaining({ code: "COLLECTOR_CONFIG_INVALID", message: expect.stringContaining("aws/spans") }));
    expect(() => cloudwatchSink({ logGroupName: "/aws/lambda/x" })).toThrow(/reserved/);
  });

  it("splits a state over the event limit into ordered parts, and the store reassembles it", async () => {
    const big = { text: "ü\"\\\n".repeat(300_000), emoji: "😀".repeat(50_000) };
    const span = makeSpan({ run: "r-big", key: "supervisor", input: big, output: big });
    const sink = sinkFor(logs);
    await sink.write([span]);
    await sink.close();
    const events = logs.events(GROUP);
    expect(events.length).toBeGreaterThan(8);
    for (const e of events) expect(Buffer.byteLength(e.message) + 26).toBeLessThanOrEqual(LOG_LIMITS.maxEventBytes);
    expect(logs.refusals).toEqual([]);
    const store = storeFor(logs);
    const [read] = await store.getRunSpans("r-big");
    expect(read).toEqual(span);
    await store.close();
  });

  it("carries a state the instrumentation sent by reference whole, as payload events the store resolves", async () => {
    const collector = await startCollector({ sinks: [sinkFor(logs)], port: 0 });
    const tracing = init({ endpoint: collector.tracesUrl, register: false, maxInlineBytes: 64 * 1024, exportQueue: { scheduledDelayMs: 5 } });
    const big = { docs: Array.from({ length: 10_000 }, (_, i) => ({ i, text: "ü lorem ipsum dolor " })) };
    const result = await runWithResult("cw-offload", {}, () => node("load", {}, () => big));
    await tracing.shutdown();
    await collector.close();
    const messages = logs.events(GROUP).map((e) => JSON.parse(e.message) as { tw: string; span?: SpanRecord });
    // The step's own event holds the marker; the state itself went as ordered payload parts.
    const step = messages.find((m) => m.span?.attributes[Tracewright.STEP_KEY] === "cw-offload/node:load#0")?.span;
    expect(String(step?.attributes[OpenInference.OUTPUT_VALUE])).toMatch(new RegExp(`^\\{"\\$type":"${PayloadMarker.OFFLOADED}"`));
    expect(messages.filter((m) => m.tw === "payload").length).toBeGreaterThan(1);
    const store = storeFor(logs);
    const spans = await store.getRunSpans(result.runId);
    const read = spans.find((s) => s.attributes[Tracewright.STEP_KEY] === "cw-offload/node:load#0");
    expect(JSON.parse(String(read?.attributes[OpenInference.OUTPUT_VALUE]))).toEqual(big);
    await store.close();
  });

  it("keeps every batch within 10,000 events and 1,048,576 bytes, in order and within 24 hours", async () => {
    const now = Date.now();
    const spans: SpanRecord[] = [];
    // 12,000 small spans, given newest first, spread over three days (all within 14 days).
    for (let i = 12_000; i > 0; i--) {
      const endMs = now - 3 * 24 * 3600 * 1000 + i * 21_000;
      spans.push({ ...makeSpan({ run: "r-batch", key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor", input: { i } }), startTimeUnixNano: `${endMs - 5}000000`, endTimeUnixNano: `${endMs}000000` });
    }
    // And 8 spans of 200 KB, so that bytes bind before the count does.
    for (let i = 0; i < 8; i++) spans.push({ ...makeSpan({ run: "r-batch", key: `supervisor/llm:m#${i}`, kind: "llm", parent: "supervisor", input: { blob: "z".repeat(200_000) } }), startTimeUnixNano: `${now - 60_000}000000`, endTimeUnixNano: `${now - 1000}000000` });
    const sink = sinkFor(logs);
    await sink.write(spans);
    await sink.close();
    expect(logs.refusals).toEqual([]);
    expect(logs.events(GROUP)).toHaveLength(12_008);
    expect(logs.calls.PutLogEvents).toBeGreaterThanOrEqual(5);
    expect(logs.largestBatchBytes).toBeLessThanOrEqual(LOG_LIMITS.maxBatchBytes);
    expect(new Set(spansIn(logs).map((s) => s.spanId)).size).toBe(12_008);
  });

  it("retries throttling, 5xx and timeouts, then delivers", async () => {
    const sink = sinkFor(logs);
    logs.failNext("throttle");
    logs.failNext("server-error");
    logs.failNext("timeout");
    await sink.write(contractBatch());
    await sink.close();
    expect(logs.faults).toEqual({ throttle: 1, "server-error": 1, timeout: 1 });
    expect(spansIn(logs)).toHaveLength(3);
  });

  it("rejects the write when failures outlast the retries, and the resend delivers", async () => {
    const sink = sinkFor(logs, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    logs.failNext("server-error", 2);
    await expect(sink.write(contractBatch())).rejects.toMatchObject({ code: "SINK_WRITE_FAILED", sink: "cloudwatch" });
    await sink.write(contractBatch());
    await sink.close();
    expect(spansIn(logs)).toHaveLength(3);
  });

  it("reports per span the events CloudWatch rejected (rejectedLogEventsInfo)", async () => {
    await logs.close();
    logs = await startFakeLogs({ now: () => Date.now() - 3 * 3600 * 1000 }); // the service's clock is 3 h behind: our events are "too new"
    const sink = sinkFor(logs, { report: (r) => rejections.push(r) });
    await sink.write(contractBatch());
    await sink.close();
    expect(rejections.map((r) => r.spanId).sort()).toEqual(contractBatch().map((s) => s.spanId).sort());
    expect(rejections[0]?.reason).toMatch(/tooNew/);
  });

  it("writes a run-start span as the run's \"run started\" event, which the reader lists as running and never counts as a step", async () => {
    const sink = sinkFor(logs, { metrics: true });
    const [root, ...steps] = contractBatch();
    await sink.write([makeRunStart(root as SpanRecord)]);
    const messages = logs.events(GROUP).map((e) => JSON.parse(e.message) as Record<string, unknown>);
    // One span event, marked; no EMF event (it is not a step).
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ tw: "span", runId: CONTRACT_RUN_ID, runStart: "root", agent: "contract", root: 0 });
    const store = storeFor(logs);
    expect(await store.getRun(CONTRACT_RUN_ID)).toMatchObject({ status: "running", agent: "contract", steps: 0, durationMs: 0 });
    expect((await store.listRuns()).runs).toMatchObject([{ runId: CONTRACT_RUN_ID, status: "running", agent: "contract", steps: 0 }]);
    await sink.write([...steps, root as SpanRecord]);
    await sink.close();
    expect(await store.getRun(CONTRACT_RUN_ID)).toMatchObject({ status: "error", agent: "contract", steps: 3 });
    expect((await store.listRuns()).runs).toMatchObject([{ runId: CONTRACT_RUN_ID, status: "error", steps: 3 }]);
    expect((await store.runStats()).latency.filter((l) => l.kind === "agent")).toMatchObject([{ name: "contract", count: 1 }]);
    expect(logs.events(GROUP).filter((e) => e.message.includes('"_aws"'))).toHaveLength(3);
    await store.close();
  });

  it("adds an Embedded Metric Format event per step when asked, which readers skip", async () => {
    const sink = sinkFor(logs, { metrics: { namespace: "TW" } });
    await sink.write(contractBatch());
    await sink.close();
    const emf = logs.events(GROUP).map((e) => JSON.parse(e.message) as Record<string, unknown>).filter((m) => m._aws !== undefined);
    expect(emf).toHaveLength(3);
    expect(emf[0]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: "TW", Dimensions: [["Agent", "StepKind"]] }] }, StepErrors: expect.any(Number), StepDuration: expect.any(Number) });
    expect(spansIn(logs)).toHaveLength(3);
    expect(logs.emf).toEqual({ headerCalls: 1, withoutHeader: 0, spanEventsUnderHeader: 0 });
  });

  it("at a 30% failure rate, every span sent is found exactly once through the store", async () => {
    logs.setFaults({ rate: 0.3, seed: 5 });
    const sink = sinkFor(logs, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, requestTimeoutMs: 200 });
    const spans = [makeSpan({ run: "r-flaky", key: "supervisor", endMs: 1000 })];
    for (let i = 1; i < 500; i++) spans.push(makeSpan({ run: "r-flaky", key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor", startMs: i, endMs: i + 1 }));
    for (let i = 0; i < spans.length; i += 50) {
      for (;;) {
        try {
          await sink.write(spans.slice(i, i + 50));
          break;
        } catch {
          // answered 503: the exporter resends
        }
      }
    }
    await sink.close();
    logs.setFaults({});
    const store = storeFor(logs);
    const read = await store.getRunSpans("r-flaky");
    expect(read).toHaveLength(500);
    expect(new Set(read.map((s) => s.spanId))).toEqual(new Set(spans.map((s) => s.spanId)));
    expect((await store.getRun("r-flaky"))?.steps).toBe(500);
    expect(logs.faults.throttle + logs.faults["server-error"] + logs.faults.timeout).toBeGreaterThan(0);
    await store.close();
  });
});

describe("CloudWatchLogsStore", () => {
  it("refuses run-list filters it does not answer instead of ignoring them", async () => {
    const logs = await startFakeLogs();
    const store = storeFor(logs);
    await expect(store.listRuns({ text: "paris" } as Parameters<typeof store.listRuns>[0])).rejects.toMatchObject({ code: "STORE_QUERY_UNSUPPORTED", message: expect.stringContaining("text") });
    await expect(store.listRuns({ sort: "start", order: "desc", limit: 1 } as Parameters<typeof store.listRuns>[0])).resolves.toEqual({ runs: [] });
    await store.close();
    await logs.close();
  });

  it("reads a group whose stream a sink wrote, across FilterLogEvents pages, and reports incomplete spans", async () => {
    const logs = await startFakeLogs({ pageSize: 7 });
    const sink = sinkFor(logs);
    const spans = [makeSpan({ run: "paged", key: "supervisor", endMs: 100 })];
    for (let i = 0; i < 40; i++) spans.push(makeSpan({ run: "paged", key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor", startMs: i, endMs: i + 1 }));
    await sink.write(spans);
    await sink.write(spans.slice(0, 10)); // a redelivery
    await sink.close();
    const incomplete: string[] = [];
    const store = new CloudWatchLogsStore({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: GROUP, pollIntervalMs: 1, onIncomplete: (s) => incomplete.push(s.spanId) });
    expect(await store.getRunSpans("paged")).toHaveLength(41);
    expect(await store.getRun("paged")).toMatchObject({ runId: "paged", steps: 41, status: "ok", agent: "supervisor" });
    expect((await store.listRuns()).runs.map((r) => [r.runId, r.steps])).toEqual([["paged", 41]]);
    expect(logs.calls.FilterLogEvents).toBeGreaterThanOrEqual(9);
    expect(incomplete).toEqual([]);
    await store.close();
    await logs.close();
  });
});
