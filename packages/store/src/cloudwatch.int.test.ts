import { createHash } from "node:crypto";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_AWS } from "../../collector-lambda/src/fakes/aws.fixtures.js";
import { startFakeLogs } from "../../collector-lambda/src/fakes/logs.fixtures.js";
import type { FakeLogs } from "../../collector-lambda/src/fakes/logs.fixtures.js";
import { CloudWatchLogsStore, CloudWatchLogsWriter, encodePayloadEvents, encodeSpanEvents } from "./cloudwatch.js";
import type { LogEvent } from "./cloudwatch.js";
import { describeQueryContract } from "./store.contract.js";
import { makeSpan, T0_MS } from "./testing.js";

// The dashboard's queries over CloudWatch Logs, through the real SDK client against the local
// endpoint: the same contract as the embedded store, text search excepted (refused, not ignored).
describeQueryContract(
  "CloudWatch Logs (local endpoint)",
  async () => {
    const logs = await startFakeLogs();
    const store = new CloudWatchLogsStore({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: "/tracewright/queries", pollIntervalMs: 1 });
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      await logs.close();
    };
    return store;
  },
  { textSearch: false },
);

/** A fake CloudWatch Logs endpoint and a real SDK client on it, for `use`; both closed after. */
async function withFakeLogs(use: (logs: Awaited<ReturnType<typeof startFakeLogs>>, client: CloudWatchLogsClient) => Promise<void>): Promise<void> {
  const logs = await startFakeLogs();
  const client = new CloudWatchLogsClient({ endpoint: logs.url, ...FAKE_AWS });
  try {
    await use(logs, client);
  } finally {
    client.destroy();
    await logs.close();
  }
}

describe("CloudWatchLogsStore over copies written by two collectors", () => {
  it("reads a large span and a payload each written whole by two writers that cut parts differently, never mixing their parts", async () => {
    await withFakeLogs(async (_logs, client) => {
      const group = "/tracewright/copies";
      const span = makeSpan({ run: "big", key: "supervisor", input: { text: "lorem ipsum dolor ".repeat(20_000) } });
      const body = JSON.stringify({ docs: "ü".repeat(150_000) });
      const hash = createHash("sha256").update(body).digest("hex");
      // The exporter's retry of one batch reached a Lambda collector and a local one (each its own stream), configured with
      // different event limits, writing at the same time: their events interleave in the group.
      const now = Date.now();
      for (const [copy, [stream, maxEventBytes]] of ([["lambda", 60_000], ["local", 100_000]] as const).entries()) {
        const writer = new CloudWatchLogsWriter({ client, logGroupName: group, logStreamName: stream });
        const interleaved = (events: LogEvent[], from: number) => events.map((event, i) => ({ ...event, timestamp: from + 2 * i + copy }));
        await writer.put([...interleaved(encodeSpanEvents(span, { maxEventBytes, now }), now), ...interleaved(encodePayloadEvents(hash, body, { maxEventBytes, now }), now + 1000)]);
      }
      const store = new CloudWatchLogsStore({ client, logGroupName: group, pollIntervalMs: 1 });
      expect(await store.getRunSpans("big")).toEqual([span]);
      expect(await store.getPayload(hash)).toBe(body);
      await store.close();
    });
  });
});

describe("CloudWatchLogsStore given an id holding a filter pattern's wildcard", () => {
  it("finds nothing, without a query: a run id or payload ref of `*` would match every span or payload of the group", async () => {
    await withFakeLogs(async (logs, client) => {
      const group = "/tracewright/wildcards";
      const body = '{"docs":["d1"]}';
      const hash = createHash("sha256").update(body).digest("hex");
      const span = makeSpan({ run: "r1", key: "supervisor" });
      await new CloudWatchLogsWriter({ client, logGroupName: group, logStreamName: "s" }).put([...encodeSpanEvents(span, { now: Date.now() }), ...encodePayloadEvents(hash, body, { now: Date.now() })]);
      const store = new CloudWatchLogsStore({ client, logGroupName: group, pollIntervalMs: 1 });
      expect(await store.getRunSpans("r1")).toEqual([span]);
      const filters = logs.calls.FilterLogEvents ?? 0;
      expect(await store.getRun("*")).toBeUndefined();
      expect(await store.getRunSpans("r*")).toEqual([]);
      expect(await store.getRunSpan("r1", "*")).toBeUndefined();
      expect(await store.getPayload("*")).toBeUndefined();
      expect(logs.calls.FilterLogEvents ?? 0).toBe(filters);
      expect(await store.getPayload(hash)).toBe(body);
      await store.close();
    });
  });
});

describe("CloudWatchLogsWriter and rejectedLogEventsInfo", () => {
  it("reports exactly the events CloudWatch found too old: its end index is exclusive", async () => {
    // The service's clock 14 days and 90 s ahead: of events a minute apart, the first two are too old.
    const now = Date.now();
    const logs = await startFakeLogs({ now: () => now + 14 * 24 * 3600 * 1000 + 90_000 });
    const client = new CloudWatchLogsClient({ endpoint: logs.url, ...FAKE_AWS });
    try {
      const writer = new CloudWatchLogsWriter({ client, logGroupName: "/tracewright/aged", logStreamName: "s" });
      const events = [0, 1, 2, 3].map((i) => ({ timestamp: now + i * 60_000, message: `{"n":${i}}` }));
      expect(await writer.put(events)).toEqual([
        { index: 0, reason: "tooOld" },
        { index: 1, reason: "tooOld" },
      ]);
      expect(logs.events("/tracewright/aged").map((e) => e.message)).toEqual(['{"n":2}', '{"n":3}']);
    } finally {
      client.destroy();
      await logs.close();
    }
  });
});

describe("CloudWatchLogsStore past Logs Insights' row limit", () => {
  let logs: FakeLogs;
  let client: CloudWatchLogsClient;
  const group = "/tracewright/many";
  beforeEach(async () => {
    logs = await startFakeLogs();
    client = new CloudWatchLogsClient({ endpoint: logs.url, ...FAKE_AWS });
    // 1,001 runs of 10 steps an hour ago, 10 ms apart and 15 ms long (each overlaps the next): 10,010 span events, one run's worth over the limit.
    const from = Date.now() - 3600_000 - T0_MS;
    const spans = [];
    for (let r = 0; r < 1001; r++) {
      const start = from + r * 10;
      spans.push(makeSpan({ run: `run-${r}`, key: "supervisor", startMs: start, endMs: start + 15 }));
      for (let k = 1; k < 10; k++) spans.push(makeSpan({ run: `run-${r}`, key: `supervisor/tool:t#${k}`, kind: "tool", parent: "supervisor", startMs: start + k, endMs: start + k + 1 }));
    }
    await new CloudWatchLogsWriter({ client, logGroupName: group, logStreamName: "s" }).put(spans.flatMap((span) => encodeSpanEvents(span)));
  });
  afterEach(async () => {
    client.destroy();
    await logs.close();
  });
  const listAll = async (store: CloudWatchLogsStore) => {
    const listed = [];
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await store.listRuns({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      listed.push(...page.runs);
      cursor = page.nextCursor;
    }
    return listed;
  };

  it("reads the span headers in queries of 10,000 rows, back in time, and lists every run whole", async () => {
    // And a 20,000-step run, the newest: twice the row limit on its own.
    const from = Date.now() - 1800_000 - T0_MS;
    const big = [makeSpan({ run: "big", key: "supervisor", startMs: from, endMs: from + 30_000 })];
    for (let i = 0; i < 20_000; i++) big.push(makeSpan({ run: "big", key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor", startMs: from + i, endMs: from + i + 1 }));
    await new CloudWatchLogsWriter({ client, logGroupName: group, logStreamName: "big" }).put(big.flatMap((span) => encodeSpanEvents(span)));
    const store = new CloudWatchLogsStore({ client, logGroupName: group, pollIntervalMs: 1 });
    const listed = await listAll(store);
    expect(listed).toHaveLength(1002);
    expect(listed[0]).toMatchObject({ runId: "big", steps: 20_001, durationMs: 30_000, status: "ok" });
    for (const run of listed.slice(1)) expect(run).toMatchObject({ steps: 10, durationMs: 15, status: "ok" });
    expect((await store.runStats()).totals.runs).toBe(1002);
    await store.close();
  }, 60_000);

  it("leaves out whole, never lists with part of its steps, a run that began before the oldest header it may read", async () => {
    const store = new CloudWatchLogsStore({ client, logGroupName: group, pollIntervalMs: 1, maxSpanHeaders: 10_000 });
    const listed = await listAll(store);
    expect(listed.length).toBeGreaterThan(990);
    expect(listed.length).toBeLessThan(1001);
    for (const run of listed) expect(run).toMatchObject({ steps: 10, durationMs: 15, status: "ok" });
    const stats = await store.runStats();
    expect(stats.totals.runs).toBe(listed.length);
    expect(stats.latency.find((l) => l.kind === "tool")?.count).toBe(listed.length * 9);
    await store.close();
  }, 60_000);
});

describe("CloudWatchLogsStore and a Logs Insights query that does not complete", () => {
  it("stops the query when it gives up on it, so abandoned queries do not keep running (and count against the account's concurrent-query quota)", async () => {
    const logs = await startFakeLogs({ runningPolls: Number.POSITIVE_INFINITY });
    const client = new CloudWatchLogsClient({ endpoint: logs.url, ...FAKE_AWS });
    try {
      const group = "/tracewright/slow";
      await new CloudWatchLogsWriter({ client, logGroupName: group, logStreamName: "s" }).put(encodeSpanEvents(makeSpan({ run: "r", key: "supervisor", startMs: Date.now() - T0_MS })));
      const store = new CloudWatchLogsStore({ client, logGroupName: group, pollIntervalMs: 5, queryTimeoutMs: 100 });
      await expect(store.listRuns()).rejects.toMatchObject({ code: "STORE_READ_FAILED", message: expect.stringMatching(/did not complete within 100 ms/) as unknown as string });
      expect(logs.calls.StopQuery).toBe(1);
      await store.close();
    } finally {
      client.destroy();
      await logs.close();
    }
  });
});
