import type { RunStats } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { bucketLabel, topLatency, toInsights } from "./chart-data";

const stats: RunStats = {
  bucketMs: 60_000,
  buckets: [
    { start: "2026-01-01T00:00:00.000Z", ok: 3, error: 1, running: 0, inputTokens: 100, outputTokens: 10 },
    { start: "2026-01-01T00:03:00.000Z", ok: 0, error: 0, running: 2, inputTokens: 0, outputTokens: 0 },
  ],
  latency: [
    { kind: "tool", name: "b", count: 2, errors: 0, p50Ms: 1, p95Ms: 2 },
    { kind: "agent", name: "a", count: 4, errors: 1, p50Ms: 10, p95Ms: 20 },
    { kind: "tool", name: "a", count: 5, errors: 1, p50Ms: 3, p95Ms: 9 },
  ],
  totals: { runs: 6, errors: 1 },
  replays: 2,
};

describe("toInsights", () => {
  it("fills empty buckets with zeros and computes the error rate of finished runs", () => {
    const data = toInsights(stats);
    expect(data.points.map((p) => [p.t - Date.UTC(2026, 0, 1), p.ok, p.error, p.running, p.errorRate])).toEqual([
      [0, 3, 1, 0, 25],
      [60_000, 0, 0, 0, null],
      [120_000, 0, 0, 0, null],
      [180_000, 0, 0, 2, null],
    ]);
    expect(data.totals).toEqual({ runs: 6, errors: 1, inputTokens: 100, outputTokens: 10 });
    expect(data.replays).toBe(2);
  });

  it("keeps sparse buckets as they are when filling would draw too many points", () => {
    expect(toInsights(stats, 2).points).toHaveLength(2);
    expect(toInsights({ ...stats, buckets: [] }).points).toEqual([]);
  });
});

describe("latency and labels", () => {
  it("picks the busiest groups of a kind", () => {
    expect(topLatency(stats.latency, "tool").map((l) => l.name)).toEqual(["a", "b"]);
    expect(topLatency(stats.latency, "tool", 1)).toHaveLength(1);
    expect(topLatency(stats.latency, "llm")).toEqual([]);
  });

  it("labels buckets by their size", () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(bucketLabel(t, 1000)).toBe("03:04:05");
    expect(bucketLabel(t, 60_000)).toBe("01-02 03:04");
    expect(bucketLabel(t, 86_400_000)).toBe("2026-01-02");
  });
});
