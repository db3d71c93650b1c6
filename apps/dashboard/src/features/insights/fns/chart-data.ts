import type { LatencyStat, RunStats } from "@tracewright/store";
import type { InsightsData, TimePoint } from "../types";

/**
 * The store's aggregates shaped for the charts: buckets filled in so that time runs evenly
 * (an empty bucket is a zero, not a gap the line jumps over), error rate per bucket.
 * At most `maxPoints` buckets are filled; beyond that the store's buckets are used as they are.
 */
export function toInsights(stats: RunStats, maxPoints = 500): InsightsData {
  const byStart = new Map<number, RunStats["buckets"][number]>();
  for (const b of stats.buckets) byStart.set(Date.parse(b.start), b);
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  const first = starts[0];
  const last = starts[starts.length - 1];
  let times = starts;
  if (first !== undefined && last !== undefined && stats.bucketMs > 0 && (last - first) / stats.bucketMs < maxPoints) {
    times = [];
    for (let t = first; t <= last; t += stats.bucketMs) times.push(t);
  }
  let inputTokens = 0;
  let outputTokens = 0;
  const points: TimePoint[] = times.map((t) => {
    const b = byStart.get(t);
    const ok = b?.ok ?? 0;
    const error = b?.error ?? 0;
    inputTokens += b?.inputTokens ?? 0;
    outputTokens += b?.outputTokens ?? 0;
    return {
      t,
      ok,
      error,
      running: b?.running ?? 0,
      errorRate: ok + error === 0 ? null : Math.round((error / (ok + error)) * 1000) / 10,
      inputTokens: b?.inputTokens ?? 0,
      outputTokens: b?.outputTokens ?? 0,
    };
  });
  return { points, bucketMs: stats.bucketMs, latency: stats.latency, totals: { ...stats.totals, inputTokens, outputTokens }, replays: stats.replays };
}

/** The latency groups of one kind, the busiest first, at most `limit`. */
export function topLatency(latency: readonly LatencyStat[], kind: LatencyStat["kind"], limit = 12): LatencyStat[] {
  return latency
    .filter((l) => l.kind === kind)
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}

/** A bucket's start as an axis label: time of day for buckets under a day, else the date (UTC). */
export function bucketLabel(t: number, bucketMs: number): string {
  const iso = new Date(t).toISOString();
  if (bucketMs >= 86_400_000) return iso.slice(0, 10);
  if (bucketMs < 60_000) return iso.slice(11, 19);
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}
