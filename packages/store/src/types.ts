/**
 * The data model shared by the collector (which produces span records from OTLP), the store
 * (which keeps them and derives runs), replay and the dashboard (which read them back).
 */

/** An attribute value as OTLP carries it, decoded to plain JSON. */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export interface SpanEventRecord {
  name: string;
  /** Nanoseconds since the epoch, as a decimal string (exact). */
  timeUnixNano: string;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/** OTLP status codes: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

/**
 * One span, normalized: ids lower-case hex (32 and 16 digits), times exact nanosecond strings.
 * This is what the collector hands every sink.
 */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: StatusCode; message?: string };
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  resource: Attributes;
  scope?: { name: string; version?: string };
}

export type RunStatus = "ok" | "error" | "running";

/** A run as listed: the contract's `runs list --json` item. */
export interface RunSummary {
  runId: string;
  traceId: string;
  agent: string;
  status: RunStatus;
  /** ISO 8601. */
  startTime: string;
  durationMs: number;
  steps: number;
  replayOf?: string;
  /** Spans of the run whose status is ERROR. */
  errors: number;
  /** Sums over the run's steps of `gen_ai.usage.input_tokens` / `gen_ai.usage.output_tokens` (0 when none reported). */
  inputTokens: number;
  outputTokens: number;
}

export interface StepError {
  type: string;
  message: string;
  stack?: string;
}

/** One step of a run, as `runs show --json` prints it. */
export interface Step {
  key: string;
  kind: string;
  name: string;
  parentKey: string | null;
  status: "ok" | "error";
  startTime: string;
  durationMs: number;
  input: unknown;
  output: unknown;
  error?: StepError;
  spanId: string;
  parentSpanId?: string;
  depth: number;
  attributes: Attributes;
}

export interface RunDetail {
  run: RunSummary;
  steps: Step[];
  /**
   * The input the run started with, from its run-start span (`tracewright.run.start`; the one
   * where the run began, else the earliest): known from the run's first export, before its root
   * step has ended. Absent when no run-start span was recorded (other instrumentation, recordings
   * older than it).
   */
  input?: unknown;
}

/** What the run list is ordered by: start time (the default) or duration. */
export type RunSort = "start" | "duration";

/**
 * A run list query. Every filter is optional and they combine with AND. Kept deliberately
 * simple so that every backend can answer it: equality, a lower bound on two numbers, a flag,
 * and one case-insensitive substring.
 */
export interface RunQuery {
  status?: RunStatus;
  /** Exact agent name. */
  agent?: string;
  /** Only runs that started at or after this instant (ISO 8601). */
  startedAfter?: string;
  /** Only runs that lasted at least this many milliseconds. */
  minDurationMs?: number;
  /** `true`: only runs with at least one failed span; `false`: only runs with none. */
  hasErrors?: boolean;
  /**
   * A case-insensitive substring of the recorded text of any of the run's steps: input and
   * output state (`input.value`, `output.value`, the GenAI message and tool-call attributes) and
   * error messages. Matched literally (no query syntax). Blank means no filter.
   */
  text?: string;
  /** Default `"start"`. Ties are broken by run id. */
  sort?: RunSort;
  /** Default `"desc"` (newest, or longest, first). */
  order?: "asc" | "desc";
  /** Runs a page holds: 1 to 1,000 (clamped, a fraction rounded down), default 50; not a number: `STORE_BAD_QUERY`. */
  limit?: number;
  /** Opaque cursor returned as `nextCursor` by the previous page, for the same sort and order. */
  cursor?: string;
}

export interface RunPage {
  runs: RunSummary[];
  nextCursor?: string;
}

export interface IngestResult {
  /** Spans stored for the first time. */
  inserted: number;
  /** Spans already present (same traceId and spanId): ingest is idempotent. */
  duplicates: number;
}

/** What `runStats` aggregates over. */
export interface StatsQuery {
  /** Only runs (and steps) that started at or after this instant (ISO 8601). Default: all. */
  startedAfter?: string;
  /** Width of a time bucket in milliseconds. Default: the window cut in about 48 buckets. */
  bucketMs?: number;
  /**
   * Count replayed runs (a root with `tracewright.replay.of`) and their steps too. Default:
   * false — a replay re-runs a recorded run: its served calls take no time and repeat the
   * recording's token usage, so counted in they would halve latencies and double tokens.
   */
  replays?: boolean;
}

/** One time bucket of `runStats`: runs started in it by status, tokens of steps started in it. */
export interface StatsBucket {
  /** The bucket's start (ISO 8601). */
  start: string;
  ok: number;
  error: number;
  running: number;
  /** Sums of `gen_ai.usage.input_tokens` / `gen_ai.usage.output_tokens`. */
  inputTokens: number;
  outputTokens: number;
}

/** Latency of one group: runs of an agent (`kind: "agent"`), or steps of a node, tool or model call by name. */
export interface LatencyStat {
  kind: "agent" | "node" | "tool" | "llm";
  name: string;
  count: number;
  /** Runs or steps that failed. */
  errors: number;
  /** Nearest-rank percentiles of the duration, in milliseconds. */
  p50Ms: number;
  p95Ms: number;
}

export interface RunStats {
  /** Buckets in time order; buckets without runs or tokens are left out. */
  buckets: StatsBucket[];
  bucketMs: number;
  /** Sorted by kind (agent, node, tool, llm), then by count, descending. */
  latency: LatencyStat[];
  totals: { runs: number; errors: number };
  /** Replayed runs started in the window: left out of every figure above unless `replays` was asked for. */
  replays: number;
}

/**
 * Queries the dashboard needs beyond `TraceStore`: the agents, one span on its own, and the
 * aggregates behind the charts. Kept apart from `TraceStore` so that a backend can be written
 * (and pass `describeStoreContract`) before it answers these; the dashboard requires both.
 */
export interface TraceQueries {
  /** Every agent name with at least one run, sorted. */
  listAgents(): Promise<string[]>;
  /** One span of a run, by span id, or undefined. */
  getRunSpan(runId: string, spanId: string): Promise<SpanRecord | undefined>;
  /** Runs over time by status, tokens over time, latency percentiles and error counts. */
  runStats(query?: StatsQuery): Promise<RunStats>;
}

/** The trace store: the embedded SQLite store, and later a CloudWatch Logs reader. */
export interface TraceStore {
  ingest(spans: readonly SpanRecord[]): Promise<IngestResult>;
  listRuns(query?: RunQuery): Promise<RunPage>;
  getRun(runId: string): Promise<RunSummary | undefined>;
  /** Every span of a run, across traces and processes, ordered by start time. */
  getRunSpans(runId: string): Promise<SpanRecord[]>;
  /** Content-addressed payloads (offloaded states), by sha256 hex. */
  putPayload(hash: string, body: string): Promise<void>;
  getPayload(hash: string): Promise<string | undefined>;
  /** Whether the store can take writes. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
