import { describe, expect, it } from "vitest";
import { LOG_LIMITS, checkLogGroupName, chunkForJson, decodeSpanEvents, encodePayloadEvents, encodeSpanEvents, eventTimestamp, planBatches, summarize } from "./cloudwatch.js";
import { T0_MS, makeSpan } from "./testing.js";

const NOW = T0_MS + 3600_000;

describe("CloudWatch Logs event format", () => {
  it("writes a small span as one event with the join ids and the whole record", () => {
    const span = makeSpan({ run: "r1", key: "supervisor", endMs: 100, error: "boom", input: { a: 1 } });
    const [event, ...rest] = encodeSpanEvents(span, { now: NOW });
    expect(rest).toEqual([]);
    expect(event?.timestamp).toBe(T0_MS + 100);
    expect(JSON.parse(event?.message ?? "")).toEqual({
      tw: "span",
      v: 1,
      traceId: `1-${span.traceId.slice(0, 8)}-${span.traceId.slice(8)}`,
      otelTraceId: span.traceId,
      spanId: span.spanId,
      runId: "r1",
      stepKey: "supervisor",
      stepKind: "agent",
      stepName: "supervisor",
      name: "supervisor",
      agent: "supervisor",
      startUs: T0_MS * 1000,
      endUs: (T0_MS + 100) * 1000,
      error: 1,
      // The run's own root (RootRank.RUN).
      root: 2,
      part: 0,
      parts: 1,
      span,
    });
  });

  it("timestamps an event PutLogEvents would refuse (over 14 days old, over 2 hours ahead) with the time of writing", () => {
    const span = makeSpan({ run: "r", key: "s", endMs: 0 });
    expect(eventTimestamp(span, T0_MS + 15 * 86_400_000)).toBe(T0_MS + 15 * 86_400_000);
    expect(eventTimestamp(span, T0_MS - 3 * 3600_000)).toBe(T0_MS - 3 * 3600_000);
    expect(eventTimestamp(span, T0_MS + 86_400_000)).toBe(T0_MS);
  });

  it("splits a large span into parts under the event limit and reassembles them in any order, copies included", () => {
    const input = { text: 'ä"\\\u0001'.repeat(100_000), emoji: "😀".repeat(30_000) };
    const span = makeSpan({ run: "r1", key: "supervisor", input });
    const events = encodeSpanEvents(span, { now: NOW, maxEventBytes: 50_000 });
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) expect(Buffer.byteLength(e.message) + LOG_LIMITS.eventOverheadBytes).toBeLessThanOrEqual(50_000);
    const messages = events.map((e) => e.message);
    const shuffled = [...messages.slice(5), messages[2] as string, ...messages.slice(0, 5)].reverse();
    const { spans, incomplete } = decodeSpanEvents(shuffled);
    expect(incomplete).toEqual([]);
    expect(spans).toEqual([span]);
  });

  it("never cuts inside a surrogate pair and counts JSON escapes", () => {
    const chunks = chunkForJson("a😀".repeat(10) + '"'.repeat(10), 13);
    expect(chunks.join("")).toBe("a😀".repeat(10) + '"'.repeat(10));
    for (const c of chunks) {
      expect(Buffer.byteLength(JSON.stringify(c)) - 2).toBeLessThanOrEqual(13);
      expect(c).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
  });

  it("reports a span with a missing part instead of inventing it", () => {
    const span = makeSpan({ run: "r1", key: "supervisor", input: { t: "x".repeat(200_000) } });
    const messages = encodeSpanEvents(span, { now: NOW, maxEventBytes: 50_000 }).map((e) => e.message);
    const { spans, incomplete } = decodeSpanEvents([...messages.slice(0, 1), ...messages.slice(2), "not json", '{"tw":"metric"}']);
    expect(spans).toEqual([]);
    expect(incomplete).toEqual([{ otelTraceId: span.traceId, spanId: span.spanId, parts: messages.length, found: [...Array(messages.length).keys()].filter((i) => i !== 1) }]);
  });

  it("splits payloads into parts too", () => {
    const events = encodePayloadEvents("ab".repeat(32), "p".repeat(120_000), { maxEventBytes: 50_000, now: NOW });
    expect(events.length).toBe(3);
    expect(events.map((e) => (JSON.parse(e.message) as { chunk: string }).chunk).join("")).toBe("p".repeat(120_000));
  });

  it("refuses aws/spans and every reserved aws/ group", () => {
    expect(() => checkLogGroupName("aws/spans")).toThrow(expect.objectContaining({ code: "STORE_LOG_GROUP_INVALID" }));
    expect(() => checkLogGroupName("/aws/lambda/f")).toThrow(/reserved/);
    expect(checkLogGroupName("/tracewright/spans")).toBe("/tracewright/spans");
  });
});

describe("planBatches", () => {
  const event = (timestamp: number, bytes = 10) => ({ timestamp, message: "m".repeat(bytes) });

  it("orders events chronologically, keeping the caller's indexes", () => {
    const [batch] = planBatches([event(3), event(1), event(2), event(1)]);
    expect(batch?.map((e) => [e.timestamp, e.index])).toEqual([
      [1, 1],
      [1, 3],
      [2, 2],
      [3, 0],
    ]);
  });

  it("cuts at 10,000 events", () => {
    expect(planBatches(Array.from({ length: 25_000 }, (_, i) => event(i, 1))).map((b) => b.length)).toEqual([10_000, 10_000, 5_000]);
  });

  it("cuts at 1,048,576 bytes counting 26 bytes an event", () => {
    // 4 events of 262,118 + 26 = 262,144 bytes fill a batch exactly; the fifth starts another.
    const batches = planBatches(Array.from({ length: 5 }, (_, i) => event(i, 262_118)));
    expect(batches.map((b) => b.length)).toEqual([4, 1]);
    const tight = planBatches(Array.from({ length: 5 }, (_, i) => event(i, 262_119 - 26)));
    expect(tight.map((b) => b.length)).toEqual([4, 1]);
  });

  it("cuts where a batch would span more than 24 hours", () => {
    const day = 24 * 3600 * 1000;
    expect(planBatches([event(0), event(day), event(day + 1), event(2 * day + 2)]).map((b) => b.map((e) => e.timestamp))).toEqual([[0, day], [day + 1], [2 * day + 2]]);
  });

  it("refuses an event over the event limit", () => {
    expect(() => planBatches([event(0, 262_119)])).toThrow(/over the 262144-byte limit/);
  });
});

describe("summarize", () => {
  it("derives a run as the SQLite store does, running until its root is there", () => {
    const root = makeSpan({ run: "r", key: "supervisor", endMs: 100, error: "x" });
    const child = makeSpan({ run: "r", key: "supervisor/node:a#0", parent: "supervisor", startMs: 10, endMs: 120 });
    expect(summarize([child])).toMatchObject({ status: "running", steps: 1, agent: "supervisor" });
    expect(summarize([root, child])).toEqual({ runId: "r", traceId: root.traceId, agent: "supervisor", status: "error", startTime: new Date(T0_MS).toISOString(), durationMs: 120, steps: 2, errors: 1, inputTokens: 0, outputTokens: 0 });
    expect(summarize([])).toBeUndefined();
  });

  it("takes the same root of two parentless spans started at one instant, whatever the order of the rows", () => {
    const a = makeSpan({ run: "r", key: "alpha", startMs: 0, endMs: 100, error: "x" });
    const b = makeSpan({ run: "r", key: "beta", startMs: 0, endMs: 50 });
    const low = a.spanId < b.spanId ? a : b;
    expect(summarize([a, b])).toEqual(summarize([b, a]));
    expect(summarize([b, a])).toMatchObject({ agent: low.name, traceId: low.traceId });
  });
});
