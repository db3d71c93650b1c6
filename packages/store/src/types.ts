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
}

export interface RunQuery {
  status?: RunStatus;
  agent?: string;
  limit?: number;
  /** Opaque cursor returned as `nextCursor` by the previous page. */
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
