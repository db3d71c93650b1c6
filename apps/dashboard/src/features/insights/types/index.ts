import type { LatencyStat } from "@tracewright/store";

/** One point of the time charts. */
export interface TimePoint {
  /** Bucket start, epoch ms. */
  readonly t: number;
  readonly ok: number;
  readonly error: number;
  readonly running: number;
  /** Failed share of the finished runs started in the bucket, in percent; null without finished runs. */
  readonly errorRate: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** What the insights page draws. */
export interface InsightsData {
  readonly points: readonly TimePoint[];
  readonly bucketMs: number;
  readonly latency: readonly LatencyStat[];
  readonly totals: { readonly runs: number; readonly errors: number; readonly inputTokens: number; readonly outputTokens: number };
  /** Replayed runs in the range, not counted in any figure. */
  readonly replays: number;
}
