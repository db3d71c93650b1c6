/**
 * `runStats` computed in memory, from the facts of runs and steps a reader has in hand (the
 * CloudWatch Logs reader gets them from one Logs Insights query). The same aggregates, with the
 * same rules, as the embedded store's: runs are bucketed by their start, tokens by their step's
 * start (both counted in SQL there), latency percentiles are nearest-rank (`latencyOfGroups`,
 * here for both: the embedded store groups the durations in SQL and hands them over).
 */
import { StoreError } from "./errors.js";
import type { LatencyStat, RunStats, RunStatus, StatsBucket, StatsQuery } from "./types.js";

/** A run, as `runStats` needs it. Microseconds since the epoch. */
export interface StatsRun {
  agent: string;
  status: RunStatus;
  startUs: number;
  endUs: number;
  /** A replay of another run (`tracewright.replay.of`). */
  replay?: boolean;
}

/** A step, as `runStats` needs it: its derived kind and name (`stepKind`, `stepName`). */
export interface StatsStep {
  kind: string;
  name: string;
  startUs: number;
  endUs: number;
  error: boolean;
  inputTokens?: number;
  outputTokens?: number;
  /** A step of a replayed run. */
  replay?: boolean;
}

/** An ISO 8601 instant as microseconds, or a `STORE_BAD_QUERY` naming the field. */
export function isoToMicros(iso: string, name: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new StoreError("STORE_BAD_QUERY", `${name} must be an ISO 8601 instant such as 2026-01-01T00:00:00Z; got ${JSON.stringify(iso)}.`);
  return ms * 1000;
}

/** The smallest of 1 s, 10 s, 1 min, 5 min, 15 min, 1 h, 6 h, 1 d, 7 d at least `ms` long. */
export function niceBucketMs(ms: number): number {
  const steps = [1_000, 10_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000, 604_800_000];
  return steps.find((step) => step >= ms) ?? (steps[steps.length - 1] as number);
}

/** Latency groups of one kind: nearest-rank p50/p95 of each name's durations, most frequent first. */
export function latencyGroups(kind: LatencyStat["kind"], items: Iterable<{ name: string; durationUs: number; failed: boolean }>): LatencyStat[] {
  const groups = new Map<string, { name: string; durationsUs: number[]; errors: number }>();
  for (const item of items) {
    let group = groups.get(item.name);
    if (group === undefined) groups.set(item.name, (group = { name: item.name, durationsUs: [], errors: 0 }));
    group.durationsUs.push(item.durationUs);
    if (item.failed) group.errors++;
  }
  return latencyOfGroups(kind, groups.values());
}

/** {@link latencyGroups} of durations already grouped by name (each group's durations in any order; sorted here, in place). */
export function latencyOfGroups(kind: LatencyStat["kind"], groups: Iterable<{ name: string; durationsUs: number[]; errors: number }>): LatencyStat[] {
  const out: LatencyStat[] = [];
  for (const { name, durationsUs, errors } of groups) {
    durationsUs.sort((a, b) => a - b);
    const at = (p: number): number => (durationsUs[Math.max(0, Math.ceil((p / 100) * durationsUs.length) - 1)] as number) / 1000;
    out.push({ kind, name, count: durationsUs.length, errors, p50Ms: at(50), p95Ms: at(95) });
  }
  return out.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The window and the buckets of a `runStats` query: from `startedAfter` (else the earliest run's
 * start) to the latest run's start, cut in about 48 buckets of a round width unless `bucketMs`
 * is given. Throws `STORE_BAD_QUERY` for a bad instant or width.
 */
export function statsWindow(query: StatsQuery, earliestStartUs: number | undefined, latestStartUs: number | undefined): { sinceUs: number; bucketMs: number; bucketUs: number; originUs: number } {
  const sinceUs = query.startedAfter !== undefined ? isoToMicros(query.startedAfter, "startedAfter") : (earliestStartUs ?? 0);
  const untilUs = Math.max(sinceUs, latestStartUs ?? sinceUs);
  if (query.bucketMs !== undefined && !(Number.isFinite(query.bucketMs) && query.bucketMs >= 1)) {
    throw new StoreError("STORE_BAD_QUERY", `bucketMs must be a number of milliseconds, 1 or more; got ${String(query.bucketMs)}.`);
  }
  const bucketMs = query.bucketMs ?? niceBucketMs((untilUs - sinceUs) / 1000 / 48);
  const bucketUs = Math.round(bucketMs * 1000);
  return { sinceUs, bucketMs, bucketUs, originUs: Math.floor(sinceUs / bucketUs) * bucketUs };
}

/** The buckets of a stats window, made as they are first counted in: bucket `index` starts `originUs + index·bucketUs`. */
export function bucketTable(originUs: number, bucketUs: number): { at(index: number): StatsBucket; inOrder(): StatsBucket[] } {
  const buckets = new Map<number, StatsBucket>();
  return {
    at(index) {
      let found = buckets.get(index);
      if (found === undefined) buckets.set(index, (found = { start: new Date(Math.floor((originUs + index * bucketUs) / 1000)).toISOString(), ok: 0, error: 0, running: 0, inputTokens: 0, outputTokens: 0 }));
      return found;
    },
    inOrder: () => [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([, bucket]) => bucket),
  };
}

/** Runs over time by status, tokens over time, latency by agent, node, tool and model call. */
export function aggregateStats(runs: readonly StatsRun[], steps: readonly StatsStep[], query: StatsQuery = {}): RunStats {
  let earliest = Infinity;
  let latest = -Infinity;
  for (const run of runs) {
    earliest = Math.min(earliest, run.startUs);
    latest = Math.max(latest, run.startUs);
  }
  const { sinceUs, bucketMs, bucketUs, originUs } = statsWindow(query, Number.isFinite(earliest) ? earliest : undefined, Number.isFinite(latest) ? latest : undefined);
  const buckets = bucketTable(originUs, bucketUs);
  const bucketOf = (startUs: number): StatsBucket => buckets.at(Math.trunc((startUs - originUs) / bucketUs));
  const replays = runs.reduce((n, run) => (run.replay === true && run.startUs >= sinceUs ? n + 1 : n), 0);
  const inWindow = runs.filter((run) => run.startUs >= sinceUs && (query.replays === true || run.replay !== true));
  let errors = 0;
  for (const run of inWindow) {
    bucketOf(run.startUs)[run.status]++;
    if (run.status === "error") errors++;
  }
  const stepsInWindow = steps.filter((step) => step.startUs >= sinceUs && (query.replays === true || step.replay !== true));
  for (const step of stepsInWindow) {
    if (step.inputTokens === undefined && step.outputTokens === undefined) continue;
    const bucket = bucketOf(step.startUs);
    bucket.inputTokens += step.inputTokens ?? 0;
    bucket.outputTokens += step.outputTokens ?? 0;
  }
  const latency = latencyGroups(
    "agent",
    inWindow.filter((run) => run.status !== "running").map((run) => ({ name: run.agent, durationUs: run.endUs - run.startUs, failed: run.status === "error" })),
  );
  for (const kind of ["node", "tool", "llm"] as const) {
    latency.push(...latencyGroups(kind, stepsInWindow.filter((step) => step.kind === kind).map((step) => ({ name: step.name, durationUs: step.endUs - step.startUs, failed: step.error }))));
  }
  return {
    buckets: buckets.inOrder(),
    bucketMs,
    latency,
    totals: { runs: inWindow.length, errors },
    replays,
  };
}
