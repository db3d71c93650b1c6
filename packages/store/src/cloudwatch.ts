/**
 * Traces in CloudWatch Logs: the log event format (written by the collector's CloudWatch Logs
 * sink, read here), batching within PutLogEvents' limits, a writer, and `CloudWatchLogsStore`, a
 * `TraceStore` over a log group.
 *
 * **Format.** One JSON event per span (per step), carrying the ids that join it to X-Ray and the
 * whole span record with its full input/output state:
 *
 * ```json
 * { "tw": "span", "v": 1, "traceId": "1-5f7c…-…" (X-Ray form), "otelTraceId": "…32 hex…",
 *   "spanId": "…", "parentSpanId"?: "…", "runId": "…", "stepKey"?: "…", "stepKind": "…",
 *   "stepName": "…", "name": "…", "agent": "…", "startUs": 0, "endUs": 0, "error": 0|1, "root": 0|1|2,
 *   "replayOf"?: "…", "inputTokens"?: 0, "outputTokens"?: 0, "runStart"?: "root"|"continued",
 *   "part": 0, "parts": 1, "span": { …SpanRecord… } }
 * ```
 *
 * An event with `runStart` is a run's "run started" event: the run-start span
 * (`tracewright.run.start`) the instrumentation exports as a run's root starts. Readers list the
 * run from it (agent, start time, running until the root's own event arrives) and never count it
 * as a step.
 *
 * `stepKind` and `stepName` are the step's kind and name as the store derives them (`stepKind`,
 * `stepName`: for spans of other instrumentation too); the token counts are the span's
 * `gen_ai.usage.*`. They let Logs Insights answer the dashboard's charts without reading states.
 *
 * A span whose event would pass the event limit (256 KB counting 26 bytes of overhead) is split
 * into `parts` ordered events, each with the same header and a `chunk` of the span's JSON text
 * instead of `span`; readers reassemble them (`decodeSpanEvents`). Payloads (`putPayload`) are
 * `{ "tw": "payload", "hash", "part", "parts", "chunk" }` events. The event timestamp is the span's
 * end, unless that lies outside what PutLogEvents accepts (14 days back, 2 hours ahead): then it
 * is the time of writing, and the span's own times stay in the message.
 *
 * **Reading.** `getRunSpans` and `getRun` filter the group by run id (FilterLogEvents, JSON filter
 * pattern), `getRunSpan` by run and span id; `listRuns`, `listAgents` and `runStats` ask Logs
 * Insights for the header of every span in the look-back window, newest first, in queries of at
 * most 10,000 rows (Insights' row limit) paged back in time, up to `maxSpanHeaders` (50,000 by
 * default) — runs older than that are not listed, nor a run only some of whose spans were read;
 * use the embedded store for large histories) and
 * derive the runs as the SQLite store does. `listRuns` filters and sorts as `RunQuery` says, except
 * by `text`, which it refuses (`STORE_QUERY_UNSUPPORTED`): the states are not in the headers.
 * Copies of a redelivered span are read once; a span or payload in parts is joined from the parts
 * of one copy (one stream: copies written by collectors with different event limits are cut
 * differently), a payload preferring a copy whose content has its hash.
 *
 * **Writing.** `ingest` writes through the same format (it is what the sink writes), skipping
 * spans already present; dedup is read-before-write, so two writers racing on one span may both
 * write it — readers still see it once. Never writes to `aws/spans` (X-Ray's own group for
 * Transaction Search) nor any reserved `aws/` group.
 */
import { createHash, randomUUID } from "node:crypto";
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, FilterLogEventsCommand, GetQueryResultsCommand, PutLogEventsCommand, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { CloudWatchLogsClientConfig } from "@aws-sdk/client-cloudwatch-logs";
import { RunStart, Tracewright } from "@tracewright/instrument/conventions";
import { isRetryableAwsError, resolveRetryPolicy, withRetries } from "@tracewright/instrument/shared";
import type { RetryPolicy } from "@tracewright/instrument/shared";
import { decodeSortCursor, encodeSortCursor, pageSize } from "./cursor.js";
import { derive } from "./derive.js";
import type { RootRank } from "./derive.js";
import { StoreError } from "./errors.js";
import { aggregateStats, isoToMicros } from "./stats.js";
import type { StatsStep } from "./stats.js";
import { spanTokens, stepKind, stepName, tokenCount } from "./steps.js";
import type { IngestResult, RunPage, RunQuery, RunStats, RunSummary, SpanRecord, StatsQuery, TraceQueries, TraceStore } from "./types.js";
import { resolvePayloads } from "./payloads.js";

/** PutLogEvents limits (CloudWatch Logs API reference, "PutLogEvents"). */
export const LOG_LIMITS = {
  maxEventsPerBatch: 10_000,
  maxBatchBytes: 1_048_576,
  /** Counted per event, on top of its UTF-8 message. */
  eventOverheadBytes: 26,
  /** The largest event, overhead included. */
  maxEventBytes: 262_144,
  maxBatchSpanMs: 24 * 3600 * 1000,
  maxAgeMs: 14 * 24 * 3600 * 1000,
  maxFutureMs: 2 * 3600 * 1000,
} as const;

/** The default log group. Env: `TRACEWRIGHT_LOG_GROUP`. */
export const DEFAULT_LOG_GROUP = "/tracewright/spans";

export interface LogEvent {
  timestamp: number;
  message: string;
}

/** The fields every span event carries, whole or in parts. */
export interface SpanEventHeader {
  tw: "span";
  v: 1;
  traceId: string;
  otelTraceId: string;
  spanId: string;
  parentSpanId?: string;
  runId: string;
  stepKey?: string;
  /** Absent in events written before it was added, as are `stepName` and the token counts. */
  stepKind?: string;
  stepName?: string;
  name: string;
  agent: string;
  startUs: number;
  endUs: number;
  error: 0 | 1;
  /** The span's {@link RootRank} (derive.ts): 2 the run's own run() span, 1 a parentless one. Events written before ranks say 1 for every parentless span. */
  root: RootRank;
  replayOf?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** On a run-start span's event (a run's "run started" event): its `tracewright.run.start`. Not a step. */
  runStart?: string;
  part: number;
  parts: number;
}

/** Refuses `aws/spans` and every reserved `aws/` group; returns the name. */
export function checkLogGroupName(name: string): string {
  if (name === "" || /^\/?aws\//i.test(name)) {
    throw new StoreError("STORE_LOG_GROUP_INVALID", `Log group ${JSON.stringify(name)} is reserved (aws/spans belongs to X-Ray Transaction Search): choose your own, e.g. ${DEFAULT_LOG_GROUP} (TRACEWRIGHT_LOG_GROUP).`);
  }
  return name;
}

/** The timestamp PutLogEvents will accept for a span: its end, else the time of writing. */
export function eventTimestamp(span: SpanRecord, now: number): number {
  const endMs = Math.floor(derive(span).endUs / 1000);
  const margin = 10 * 60 * 1000;
  return endMs < now - LOG_LIMITS.maxAgeMs + margin || endMs > now + LOG_LIMITS.maxFutureMs - margin ? now : endMs;
}

function header(span: SpanRecord): Omit<SpanEventHeader, "part" | "parts"> {
  const d = derive(span);
  const { inputTokens, outputTokens } = spanTokens(span);
  return {
    tw: "span",
    v: 1,
    traceId: `1-${span.traceId.slice(0, 8)}-${span.traceId.slice(8)}`,
    otelTraceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId === undefined || span.parentSpanId === "" ? {} : { parentSpanId: span.parentSpanId }),
    runId: d.runId,
    ...(d.stepKey === null ? {} : { stepKey: d.stepKey }),
    stepKind: stepKind(span),
    stepName: stepName(span),
    name: span.name,
    agent: d.agent,
    startUs: d.startUs,
    endUs: d.endUs,
    error: span.status.code === 2 ? 1 : 0,
    root: d.rootRank,
    ...(d.replayOf === null ? {} : { replayOf: d.replayOf }),
    ...(inputTokens === undefined ? {} : { inputTokens }),
    ...(outputTokens === undefined ? {} : { outputTokens }),
    // One of the two placements, whatever the span said: a header stays within the event limit.
    ...(d.runStart ? { runStart: span.attributes[Tracewright.RUN_START] === RunStart.ROOT ? RunStart.ROOT : RunStart.CONTINUED } : {}),
  };
}

/** The UTF-8 bytes a character takes inside a JSON string literal. */
function escapedBytes(code: number): number {
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x20) return code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdfff) return 6; // a lone surrogate is escaped as \uXXXX
  return code > 0xffff ? 4 : 3;
}

/** Cuts `text` into pieces whose JSON string literals (quotes excluded) are at most `budget` bytes, never inside a surrogate pair. */
export function chunkForJson(text: string, budget: number): string[] {
  if (budget < 12) throw new RangeError(`chunk budget too small: ${budget}`);
  const chunks: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i) as number;
    const width = code > 0xffff ? 2 : 1;
    const lone = width === 1 && code >= 0xd800 && code <= 0xdfff;
    const cost = lone ? 6 : escapedBytes(code);
    if (used + cost > budget) {
      chunks.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += cost;
    i += width;
  }
  chunks.push(text.slice(start));
  return chunks;
}

export interface EncodeOptions {
  /** The largest event, 26 bytes of overhead included. Default: 262,144 (256 KB). */
  maxEventBytes?: number;
  /** The clock, for timestamps PutLogEvents accepts. Default: Date.now(). */
  now?: number;
}

/** A span as one or more log events (see the format above), in part order. */
export function encodeSpanEvents(span: SpanRecord, options: EncodeOptions = {}): LogEvent[] {
  const maxEventBytes = options.maxEventBytes ?? LOG_LIMITS.maxEventBytes;
  const timestamp = eventTimestamp(span, options.now ?? Date.now());
  const head = header(span);
  const whole = JSON.stringify({ ...head, part: 0, parts: 1, span });
  if (Buffer.byteLength(whole, "utf8") + LOG_LIMITS.eventOverheadBytes <= maxEventBytes) return [{ timestamp, message: whole }];
  return chunked(JSON.stringify(span), (part, parts, chunk) => JSON.stringify({ ...head, part, parts, chunk }), maxEventBytes, Buffer.byteLength(JSON.stringify({ ...head, part: 0, parts: 1, chunk: "" }), "utf8")).map((message) => ({ timestamp, message }));
}

function chunked(text: string, build: (part: number, parts: number, chunk: string) => string, maxEventBytes: number, emptyBytes: number): string[] {
  // 12 bytes of slack for the part and parts numbers growing past one digit.
  const budget = maxEventBytes - LOG_LIMITS.eventOverheadBytes - emptyBytes - 12;
  const pieces = chunkForJson(text, budget);
  return pieces.map((piece, part) => build(part, pieces.length, piece));
}

/** A content-addressed payload as log events. */
export function encodePayloadEvents(hash: string, body: string, options: EncodeOptions = {}): LogEvent[] {
  const timestamp = options.now ?? Date.now();
  const maxEventBytes = options.maxEventBytes ?? LOG_LIMITS.maxEventBytes;
  const empty = Buffer.byteLength(JSON.stringify({ tw: "payload", v: 1, hash, part: 0, parts: 1, chunk: "" }), "utf8");
  return chunked(body, (part, parts, chunk) => JSON.stringify({ tw: "payload", v: 1, hash, part, parts, chunk }), maxEventBytes, empty).map((message) => ({ timestamp, message }));
}

/** A span some of whose parts are missing (not yet searchable, or lost). */
export interface IncompleteSpan {
  otelTraceId: string;
  spanId: string;
  parts: number;
  found: number[];
}

/** A log event's message with the stream it was read from (FilterLogEvents says), which tells copies apart. */
export interface StreamMessage {
  message: string;
  logStreamName?: string;
}

/**
 * The parts of one span or payload, by the copy they belong to. Every writer of a copy writes all
 * its parts to its own stream, cut by its own event limit; copies cut by different limits (two
 * collectors configured apart, both reached by an exporter's retry) must never be mixed, so parts
 * are kept per stream and part count.
 */
class PartCopies {
  private readonly copies = new Map<string, { parts: number; chunks: Map<number, string> }>();

  add(stream: string, part: number, parts: number, chunk: string): void {
    const id = `${parts}\u0000${stream}`;
    let copy = this.copies.get(id);
    if (copy === undefined) this.copies.set(id, (copy = { parts, chunks: new Map() }));
    copy.chunks.set(part, chunk);
  }

  /** The first copy whose parts are all here and that `accept` takes, joined; else undefined. */
  whole<T>(accept: (text: string) => T | undefined): T | undefined {
    for (const { parts, chunks } of this.copies.values()) {
      if (chunks.size < parts) continue;
      let text = "";
      for (let i = 0; i < parts; i++) text += chunks.get(i) ?? "";
      const value = accept(text);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** The copy with the most parts found, for a report of what is missing. */
  mostFound(): { parts: number; found: number[] } {
    let best = { parts: 0, found: [] as number[] };
    for (const { parts, chunks } of this.copies.values()) if (chunks.size > best.found.length) best = { parts, found: [...chunks.keys()].sort((a, b) => a - b) };
    return best;
  }
}

function parseSpan(text: string): SpanRecord | undefined {
  try {
    return JSON.parse(text) as SpanRecord;
  } catch {
    return undefined;
  }
}

/**
 * Reassembles span events (any order, any copies) into spans, one per (traceId, spanId), ordered
 * by start time. Messages that are not span events are skipped. Parts are joined within one copy
 * (one stream); give each message its `logStreamName` where copies may have been cut differently.
 */
export function decodeSpanEvents(messages: Iterable<string | StreamMessage>): { spans: SpanRecord[]; incomplete: IncompleteSpan[] } {
  const whole = new Map<string, SpanRecord>();
  const partial = new Map<string, { otelTraceId: string; spanId: string; copies: PartCopies }>();
  for (const item of messages) {
    const message = typeof item === "string" ? item : item.message;
    let event: Partial<SpanEventHeader> & { span?: SpanRecord; chunk?: string };
    try {
      event = JSON.parse(message) as typeof event;
    } catch {
      continue;
    }
    if (event.tw !== "span" || typeof event.otelTraceId !== "string" || typeof event.spanId !== "string") continue;
    const key = `${event.otelTraceId}/${event.spanId}`;
    if (event.span !== undefined) {
      if (!whole.has(key)) whole.set(key, event.span);
      continue;
    }
    if (typeof event.chunk !== "string" || typeof event.part !== "number" || typeof event.parts !== "number") continue;
    let entry = partial.get(key);
    if (entry === undefined) partial.set(key, (entry = { otelTraceId: event.otelTraceId, spanId: event.spanId, copies: new PartCopies() }));
    entry.copies.add(typeof item === "string" ? "" : (item.logStreamName ?? ""), event.part, event.parts, event.chunk);
  }
  const incomplete: IncompleteSpan[] = [];
  for (const [key, entry] of partial) {
    if (whole.has(key)) continue;
    const span = entry.copies.whole(parseSpan);
    if (span !== undefined) whole.set(key, span);
    else incomplete.push({ otelTraceId: entry.otelTraceId, spanId: entry.spanId, ...entry.copies.mostFound() });
  }
  const spans = [...whole.values()].sort((a, b) => derive(a).startUs - derive(b).startUs || a.spanId.localeCompare(b.spanId));
  return { spans, incomplete };
}

/** An event with its position in the caller's list, so rejections can be traced back. */
export interface IndexedLogEvent extends LogEvent {
  index: number;
}

/**
 * Orders events chronologically (stable) and cuts them into PutLogEvents batches: at most 10,000
 * events, 1,048,576 bytes counting 26 bytes an event, and 24 hours from first to last.
 * Throws a RangeError for an event over the event limit (encode with `encodeSpanEvents`).
 */
export function planBatches(events: readonly LogEvent[]): IndexedLogEvent[][] {
  const sorted = events.map((e, index) => ({ ...e, index })).sort((a, b) => a.timestamp - b.timestamp || a.index - b.index);
  const batches: IndexedLogEvent[][] = [];
  let current: IndexedLogEvent[] = [];
  let bytes = 0;
  for (const event of sorted) {
    const size = Buffer.byteLength(event.message, "utf8") + LOG_LIMITS.eventOverheadBytes;
    if (size > LOG_LIMITS.maxEventBytes) throw new RangeError(`log event ${event.index} is ${size} bytes, over the ${LOG_LIMITS.maxEventBytes}-byte limit`);
    const first = current[0];
    if (first !== undefined && (current.length >= LOG_LIMITS.maxEventsPerBatch || bytes + size > LOG_LIMITS.maxBatchBytes || event.timestamp - first.timestamp > LOG_LIMITS.maxBatchSpanMs)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** How AWS calls are retried: the shared backoff and classification of `@tracewright/instrument/shared`. */
export type RetrySettings = RetryPolicy;

function retrying<T>(operation: () => Promise<T>, settings: RetrySettings): Promise<T> {
  return withRetries(operation, isRetryableAwsError, resolveRetryPolicy(settings));
}

/** An event PutLogEvents accepted but did not store (`rejectedLogEventsInfo`). */
export interface RejectedLogEvent {
  /** The event's position in the list given to `put`. */
  index: number;
  reason: "tooOld" | "tooNew" | "expired";
}

export interface CloudWatchLogsWriterOptions {
  client: CloudWatchLogsClient;
  logGroupName: string;
  logStreamName: string;
  retry?: RetrySettings;
}

/**
 * Writes log events to one stream: creates the group and the stream on first use (an existing
 * one is fine), cuts batches within the limits, retries throttling, 5xx and timeouts with jitter,
 * and reports what PutLogEvents accepted but rejected.
 */
export class CloudWatchLogsWriter {
  readonly logGroupName: string;
  readonly logStreamName: string;
  private readonly client: CloudWatchLogsClient;
  private readonly retry: RetrySettings;
  private ready: Promise<void> | undefined;

  constructor(options: CloudWatchLogsWriterOptions) {
    this.client = options.client;
    this.logGroupName = checkLogGroupName(options.logGroupName);
    this.logStreamName = options.logStreamName;
    this.retry = options.retry ?? {};
  }

  /** Creates the group and stream unless they exist. */
  ensure(): Promise<void> {
    this.ready ??= this.create().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    const existsOk = (error: unknown): void => {
      if ((error as { name?: string }).name !== "ResourceAlreadyExistsException") throw error;
    };
    // A group deployed ahead (the CDK construct does) may be all a least-privilege role can see:
    // without logs:CreateLogGroup, go on to the stream, which fails clearly if the group is missing.
    await retrying(() => this.client.send(new CreateLogGroupCommand({ logGroupName: this.logGroupName })), this.retry).catch((error: unknown) => {
      if ((error as { name?: string }).name !== "AccessDeniedException") existsOk(error);
    });
    await retrying(() => this.client.send(new CreateLogStreamCommand({ logGroupName: this.logGroupName, logStreamName: this.logStreamName })), this.retry).catch(existsOk);
  }

  /**
   * Writes the events; resolves with those CloudWatch rejected by age, rejects when a batch failed
   * for good. With `emf`, the calls carry `x-amzn-logs-format: json/emf`, the header that tells
   * CloudWatch Logs to extract Embedded Metric Format metrics (optional today, per the CloudWatch
   * guide, but explicit is safer than relying on detection).
   */
  async put(events: readonly LogEvent[], options: { emf?: boolean } = {}): Promise<RejectedLogEvent[]> {
    if (events.length === 0) return [];
    await this.ensure();
    const rejected: RejectedLogEvent[] = [];
    for (const batch of planBatches(events)) {
      const send = () =>
        retrying(() => {
          const command = new PutLogEventsCommand({ logGroupName: this.logGroupName, logStreamName: this.logStreamName, logEvents: batch.map(({ timestamp, message }) => ({ timestamp, message })) });
          if (options.emf === true) {
            command.middlewareStack.add(
              (next) => async (args) => {
                const request = args.request as { headers?: Record<string, string> };
                if (request.headers !== undefined) request.headers["x-amzn-logs-format"] = "json/emf";
                return next(args);
              },
              { step: "build", name: "tracewrightEmfHeader" },
            );
          }
          return this.client.send(command);
        }, this.retry);
      let result;
      try {
        result = await send();
      } catch (error) {
        if ((error as { name?: string }).name !== "ResourceNotFoundException") throw error;
        // The group or stream went away (deleted, or retention): create them again, once.
        this.ready = undefined;
        await this.ensure();
        result = await send();
      }
      const info = result.rejectedLogEventsInfo;
      if (info === undefined) continue;
      // The API reference: `tooOldLogEventEndIndex` is exclusive (the events before it were too
      // old), `tooNewLogEventStartIndex` inclusive. `expiredLogEventEndIndex` is not said either
      // way: read as inclusive, so that at worst one stored event is reported, never one lost.
      batch.forEach((event, i) => {
        if (info.tooNewLogEventStartIndex !== undefined && i >= info.tooNewLogEventStartIndex) rejected.push({ index: event.index, reason: "tooNew" });
        else if (info.tooOldLogEventEndIndex !== undefined && i < info.tooOldLogEventEndIndex) rejected.push({ index: event.index, reason: "tooOld" });
        else if (info.expiredLogEventEndIndex !== undefined && i <= info.expiredLogEventEndIndex) rejected.push({ index: event.index, reason: "expired" });
      });
    }
    return rejected;
  }
}

export interface CloudWatchLogsStoreOptions {
  /** A client to use (not destroyed on close). Default: one from `clientConfig` and the environment (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `AWS_REGION`, …). */
  client?: CloudWatchLogsClient;
  clientConfig?: CloudWatchLogsClientConfig;
  /** Env: `TRACEWRIGHT_LOG_GROUP`. Default: `/tracewright/spans`. Never `aws/…`. */
  logGroupName?: string;
  /** The stream `ingest` and `putPayload` write to. Default: `tracewright-store/<uuid>`. */
  logStreamName?: string;
  /** How far back `listRuns` looks. Default: 30 days. */
  lookbackMs?: number;
  /**
   * The most span headers `listRuns`, `listAgents` and `runStats` read, newest first, in Logs
   * Insights queries of 10,000 rows each (its row limit). Runs that began before the oldest header
   * read are left out. Default: 50,000 (five queries).
   */
  maxSpanHeaders?: number;
  /** Logs Insights polling interval. Default: 500 ms. */
  pollIntervalMs?: number;
  /** Give up on a Logs Insights query after this long, stopping it (StopQuery). Default: 60 s. */
  queryTimeoutMs?: number;
  retry?: RetrySettings;
  /** Told about spans whose parts are not all found. Default: ignored (the span is left out until complete). */
  onIncomplete?: (span: IncompleteSpan) => void;
}

/** Logs Insights returns at most this many rows. */
export const INSIGHTS_MAX_ROWS = 10_000;

/** `CloudWatchLogsStoreOptions.maxSpanHeaders` by default: five Insights queries. */
export const DEFAULT_MAX_SPAN_HEADERS = 50_000;

/** A `TraceStore` over a CloudWatch Logs group written in the sink's format (see above). */
export class CloudWatchLogsStore implements TraceStore, TraceQueries {
  readonly logGroupName: string;
  private readonly client: CloudWatchLogsClient;
  private readonly owned: boolean;
  private readonly writer: CloudWatchLogsWriter;
  private readonly options: CloudWatchLogsStoreOptions;
  private closed = false;
  private pendingHeaders: Promise<RunHeaders> | undefined;

  constructor(options: CloudWatchLogsStoreOptions = {}) {
    this.options = options;
    this.logGroupName = checkLogGroupName(options.logGroupName ?? process.env.TRACEWRIGHT_LOG_GROUP ?? DEFAULT_LOG_GROUP);
    this.owned = options.client === undefined;
    this.client = options.client ?? new CloudWatchLogsClient({ maxAttempts: 1, requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true }, ...options.clientConfig });
    this.writer = new CloudWatchLogsWriter({ client: this.client, logGroupName: this.logGroupName, logStreamName: options.logStreamName ?? `tracewright-store/${randomUUID()}`, ...(options.retry === undefined ? {} : { retry: options.retry }) });
  }

  private open(): void {
    if (this.closed) throw new StoreError("STORE_CLOSED", `The CloudWatch Logs store over ${this.logGroupName} is closed.`);
  }

  /** Every event matching a JSON filter pattern, all pages, with the stream each came from. */
  private async filter(pattern: string): Promise<StreamMessage[]> {
    const messages: StreamMessage[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await retrying(() => this.client.send(new FilterLogEventsCommand({ logGroupName: this.logGroupName, filterPattern: pattern, ...(nextToken === undefined ? {} : { nextToken }) })), this.options.retry ?? {});
        for (const e of page.events ?? []) if (e.message !== undefined) messages.push({ message: e.message, ...(e.logStreamName === undefined ? {} : { logStreamName: e.logStreamName }) });
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    } catch (cause) {
      if ((cause as { name?: string }).name === "ResourceNotFoundException") return [];
      throw new StoreError("STORE_READ_FAILED", `Reading ${this.logGroupName} (${pattern}) failed: ${(cause as Error).message}`, { cause });
    }
    return messages;
  }

  /** A run's spans with every state sent by reference resolved whole from the group's payload events. */
  async getRunSpans(runId: string): Promise<SpanRecord[]> {
    return this.withPayloads(await this.spansOf(runId));
  }

  /**
   * A run's spans as written (states sent by reference still markers); `spanId` narrows to one.
   * An id no span can have (see {@link exact}) has none, without a query.
   */
  private async spansOf(runId: string, spanId?: string): Promise<SpanRecord[]> {
    this.open();
    if (!exact(runId) || (spanId !== undefined && !exact(spanId))) return [];
    const one = spanId === undefined ? "" : ` && $.spanId = ${JSON.stringify(spanId)}`;
    const { spans, incomplete } = decodeSpanEvents(await this.filter(`{ $.tw = "span" && $.runId = ${JSON.stringify(runId)}${one} }`));
    for (const span of incomplete) this.options.onIncomplete?.(span);
    return spans;
  }

  /** Spans with every state sent by reference resolved whole from the group's payload events. */
  private withPayloads(spans: SpanRecord[]): Promise<SpanRecord[]> {
    return resolvePayloads(spans, (hash) => this.getPayload(hash));
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    return summarize(await this.spansOf(runId));
  }

  async getRunSpan(runId: string, spanId: string): Promise<SpanRecord | undefined> {
    const spans = await this.spansOf(runId, spanId);
    return spans.length === 0 ? undefined : (await this.withPayloads(spans.slice(0, 1)))[0];
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    this.open();
    // Refuse, rather than silently ignore, what this reader cannot answer: the states are not in the headers.
    if (query.text !== undefined && query.text.trim() !== "") {
      throw new StoreError("STORE_QUERY_UNSUPPORTED", `The CloudWatch Logs reader does not search the recorded text of runs (text ${JSON.stringify(query.text)}): it filters by status, agent, start time, duration and errors. Query the embedded store, or Logs Insights directly.`);
    }
    const sinceUs = query.startedAfter === undefined ? undefined : isoToMicros(query.startedAfter, "startedAfter");
    if (query.minDurationMs !== undefined && !(Number.isFinite(query.minDurationMs) && query.minDurationMs >= 0)) {
      throw new StoreError("STORE_BAD_QUERY", `minDurationMs must be a number of milliseconds, 0 or more; got ${String(query.minDurationMs)}.`);
    }
    const sort = query.sort ?? "start";
    const order = query.order ?? "desc";
    const cursor = query.cursor === undefined ? undefined : decodeSortCursor(query.cursor, sort, order);
    const limit = pageSize(query.limit);
    const value = (r: { run: RunSummary; startUs: number }): number => (sort === "start" ? r.startUs : Math.round(r.run.durationMs * 1000));
    const sign = order === "asc" ? 1 : -1;
    const runs = (await this.runHeaders()).runs
      .filter(({ run, startUs }) => (query.status === undefined || run.status === query.status) && (query.agent === undefined || run.agent === query.agent) && (sinceUs === undefined || startUs >= sinceUs))
      .filter(({ run }) => (query.minDurationMs === undefined || run.durationMs >= query.minDurationMs) && (query.hasErrors === undefined || run.errors > 0 === query.hasErrors))
      .map((r) => ({ ...r, value: value(r) }))
      .sort((a, b) => sign * (a.value - b.value) || sign * (a.run.runId < b.run.runId ? -1 : a.run.runId > b.run.runId ? 1 : 0));
    const after = cursor === undefined ? runs : runs.filter((r) => sign * (r.value - cursor.value) > 0 || (r.value === cursor.value && sign * (r.run.runId < cursor.runId ? -1 : r.run.runId > cursor.runId ? 1 : 0) > 0));
    const page = after.slice(0, limit);
    const last = page[page.length - 1];
    return { runs: page.map((r) => r.run), ...(after.length > limit && last !== undefined ? { nextCursor: encodeSortCursor({ sort, order, value: last.value, runId: last.run.runId }) } : {}) };
  }

  async listAgents(): Promise<string[]> {
    this.open();
    return [...new Set((await this.runHeaders()).runs.map(({ run }) => run.agent).filter((agent) => agent !== ""))].sort();
  }

  async runStats(query: StatsQuery = {}): Promise<RunStats> {
    this.open();
    const { runs, steps } = await this.runHeaders();
    const replays = new Set(runs.filter(({ run }) => run.replayOf !== undefined).map(({ run }) => run.runId));
    return aggregateStats(
      runs.map(({ run, startUs }) => ({ agent: run.agent, status: run.status, startUs, endUs: startUs + Math.round(run.durationMs * 1000), ...(replays.has(run.runId) ? { replay: true } : {}) })),
      replays.size === 0 ? steps : steps.map((step) => (replays.has(step.runId) ? { ...step, replay: true } : step)),
      query,
    );
  }

  /**
   * The runs in the look-back window, derived from the first part of each span event, and their
   * steps' facts. Calls made while one query is in flight share it (a page asks for the runs and
   * the agents at once); nothing is kept once it has answered.
   */
  private runHeaders(): Promise<RunHeaders> {
    this.pendingHeaders ??= this.queryRunHeaders().finally(() => {
      this.pendingHeaders = undefined;
    });
    return this.pendingHeaders;
  }

  private async queryRunHeaders(): Promise<RunHeaders> {
    const query = `fields @timestamp, runId, otelTraceId, spanId, startUs, endUs, error, root, agent, replayOf, runStart, stepKind, stepName, name, inputTokens, outputTokens | filter tw = "span" and part = 0 | sort @timestamp desc | limit ${INSIGHTS_MAX_ROWS}`;
    // Insights answers at most 10,000 rows a query: past that, page back in time, each query ending
    // at the second of the oldest row so far (rows of that second come twice and are read once).
    const maxRows = Math.max(INSIGHTS_MAX_ROWS, this.options.maxSpanHeaders ?? DEFAULT_MAX_SPAN_HEADERS);
    const rows: Record<string, string>[] = [];
    let endTime = Math.ceil((Date.now() + LOG_LIMITS.maxFutureMs) / 1000);
    let complete = false;
    while (rows.length < maxRows) {
      const page = await this.insights(query, endTime);
      rows.push(...page);
      if (page.length < INSIGHTS_MAX_ROWS) {
        complete = true;
        break;
      }
      const oldest = Math.floor(oldestTimestampMs(page) / 1000);
      // More than 10,000 rows in one second (or no readable times): no way further back.
      if (!Number.isFinite(oldest) || oldest >= endTime) break;
      endTime = oldest;
    }
    const byRun = new Map<string, Map<string, RunRow>>();
    const steps = new Map<string, StatsStep & { runId: string }>();
    // Where the rows read stop short of the window, the newest came back and older ones did not:
    // a run that began at or before the oldest row's time may have steps among those left out (a
    // span's event is timestamped at its end or later, never before its start). Such runs are left
    // out whole, as the runs older than the window are, rather than listed with part of their
    // steps. (An event's time is its span's end in whole milliseconds: a left-out span ended
    // before the oldest row's millisecond was over.)
    const cutoffUs = complete ? -Infinity : (oldestTimestampMs(rows) + 1) * 1000;
    for (const row of rows) {
      const r = toRunRow(row);
      if (r === undefined) continue;
      let spans = byRun.get(r.runId);
      if (spans === undefined) byRun.set(r.runId, (spans = new Map()));
      spans.set(`${r.traceId}/${r.spanId}`, r);
      if (r.runStart) continue; // not a step: no latency or tokens of its own
      steps.set(`${r.traceId}/${r.spanId}`, {
        runId: r.runId,
        kind: row.stepKind ?? "span",
        name: row.stepName ?? row.name ?? "",
        startUs: r.startUs,
        endUs: r.endUs,
        error: r.error,
        ...(r.inputTokens === undefined ? {} : { inputTokens: r.inputTokens }),
        ...(r.outputTokens === undefined ? {} : { outputTokens: r.outputTokens }),
      });
    }
    const runs = [...byRun.values()].map((spans) => summarizeRows([...spans.values()])).filter((run) => run.startUs >= cutoffUs);
    const kept = new Set(runs.map(({ run }) => run.runId));
    return { runs, steps: [...steps.values()].filter((step) => kept.has(step.runId)) };
  }

  /** The rows of one Logs Insights query over the look-back window, up to `endTime` (epoch seconds, inclusive). */
  private async insights(queryString: string, endTime: number): Promise<Record<string, string>[]> {
    const startTime = Math.floor((Date.now() - (this.options.lookbackMs ?? 30 * 24 * 3600 * 1000)) / 1000);
    const retry = this.options.retry ?? {};
    let queryId: string | undefined;
    try {
      queryId = (await retrying(() => this.client.send(new StartQueryCommand({ logGroupName: this.logGroupName, startTime, endTime, queryString, limit: INSIGHTS_MAX_ROWS })), retry)).queryId;
    } catch (cause) {
      if ((cause as { name?: string }).name === "ResourceNotFoundException") return [];
      throw new StoreError("STORE_READ_FAILED", `Logs Insights query on ${this.logGroupName} failed to start: ${(cause as Error).message}`, { cause });
    }
    const deadline = Date.now() + (this.options.queryTimeoutMs ?? 60_000);
    for (;;) {
      const result = await retrying(() => this.client.send(new GetQueryResultsCommand({ queryId })), retry);
      if (result.status === "Complete") {
        return (result.results ?? []).map((fields) => Object.fromEntries(fields.filter((f) => f.field !== undefined && f.value !== undefined).map((f) => [f.field as string, f.value as string])));
      }
      if (result.status !== "Running" && result.status !== "Scheduled") {
        throw new StoreError("STORE_READ_FAILED", `Logs Insights query ${queryId} on ${this.logGroupName} ended ${result.status ?? "without a status"}.`);
      }
      if (Date.now() > deadline) {
        // Stopped, not abandoned: a query left running goes on scanning (and being billed) for up to
        // 60 minutes, and counts against the account's concurrent-query quota meanwhile — a dashboard
        // that gives up on each page load would soon have every new query refused. Best effort.
        await this.client.send(new StopQueryCommand({ queryId })).catch(() => undefined);
        throw new StoreError("STORE_READ_FAILED", `Logs Insights query ${queryId} did not complete within ${this.options.queryTimeoutMs ?? 60_000} ms (stopped). Narrow the look-back window (lookbackMs) or raise queryTimeoutMs.`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs ?? 500));
    }
  }

  async ingest(spans: readonly SpanRecord[]): Promise<IngestResult> {
    this.open();
    const unique = new Map<string, SpanRecord>();
    for (const span of spans) if (!unique.has(`${span.traceId}/${span.spanId}`)) unique.set(`${span.traceId}/${span.spanId}`, span);
    const present = new Set<string>();
    for (const runId of new Set([...unique.values()].map((s) => derive(s).runId))) {
      for (const s of await this.spansOf(runId)) present.add(`${s.traceId}/${s.spanId}`);
    }
    const fresh = [...unique.entries()].filter(([key]) => !present.has(key)).map(([, span]) => span);
    const now = Date.now();
    try {
      const rejected = await this.writer.put(fresh.flatMap((span) => encodeSpanEvents(span, { now })));
      if (rejected.length > 0) throw new Error(`CloudWatch Logs rejected ${rejected.length} events (${rejected[0]?.reason})`);
    } catch (cause) {
      throw new StoreError("STORE_WRITE_FAILED", `Writing ${fresh.length} spans to ${this.logGroupName} failed: ${(cause as Error).message}`, { cause });
    }
    return { inserted: fresh.length, duplicates: spans.length - fresh.length };
  }

  async putPayload(hash: string, body: string): Promise<void> {
    this.open();
    if ((await this.getPayload(hash)) !== undefined) return;
    try {
      await this.writer.put(encodePayloadEvents(hash, body));
    } catch (cause) {
      throw new StoreError("STORE_WRITE_FAILED", `Writing payload ${hash} to ${this.logGroupName} failed: ${(cause as Error).message}`, { cause });
    }
  }

  async getPayload(hash: string): Promise<string | undefined> {
    this.open();
    if (!exact(hash)) return undefined;
    const copies = new PartCopies();
    for (const { message, logStreamName } of await this.filter(`{ $.tw = "payload" && $.hash = ${JSON.stringify(hash)} }`)) {
      let e: { part?: unknown; parts?: unknown; chunk?: unknown };
      try {
        e = JSON.parse(message) as typeof e;
      } catch {
        continue;
      }
      if (typeof e.part === "number" && typeof e.parts === "number" && typeof e.chunk === "string") copies.add(logStreamName ?? "", e.part, e.parts, e.chunk);
    }
    // A copy whose content has the hash it is stored under, else any whole copy.
    return copies.whole((body) => (createHash("sha256").update(body).digest("hex") === hash ? body : undefined)) ?? copies.whole((body) => body);
  }

  /** Whether the group and the store's stream exist or can be created. */
  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.writer.ensure();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) this.client.destroy();
  }
}

/** Opens a store over a log group; nothing is contacted until the first call. */
export function openCloudWatchLogsStore(options: CloudWatchLogsStoreOptions = {}): CloudWatchLogsStore {
  return new CloudWatchLogsStore(options);
}

/** What one Logs Insights pass over the span headers yields. */
interface RunHeaders {
  runs: { run: RunSummary; startUs: number }[];
  steps: (StatsStep & { runId: string })[];
}

interface RunRow {
  runId: string;
  traceId: string;
  spanId: string;
  startUs: number;
  endUs: number;
  error: boolean;
  rootRank: number;
  agent: string;
  replayOf?: string;
  /** A run's "run started" event: it makes the run, but is not one of its steps. */
  runStart: boolean;
  /** Its token counts ({@link tokenCount}), when it has them. */
  inputTokens?: number;
  outputTokens?: number;
}

/** A run row's token fields, the absent ones left out. */
function tokensOf(inputTokens: number | undefined, outputTokens: number | undefined): Pick<RunRow, "inputTokens" | "outputTokens"> {
  return { ...(inputTokens === undefined ? {} : { inputTokens }), ...(outputTokens === undefined ? {} : { outputTokens }) };
}

/** A token count of a Logs Insights row (text, as Insights returns every field), when it is one. */
function insightsTokens(value: string | undefined): number | undefined {
  return value === undefined || value === "" ? undefined : tokenCount(Number(value));
}

function toRunRow(row: Record<string, string>): RunRow | undefined {
  const { runId, otelTraceId, spanId, agent, replayOf } = row;
  const startUs = Number(row.startUs);
  const endUs = Number(row.endUs);
  if (runId === undefined || otelTraceId === undefined || spanId === undefined || !Number.isFinite(startUs) || !Number.isFinite(endUs)) return undefined;
  return { runId, traceId: otelTraceId, spanId, startUs, endUs, error: row.error === "1", rootRank: Number(row.root) || 0, agent: agent ?? "", ...(replayOf === undefined ? {} : { replayOf }), runStart: row.runStart !== undefined && row.runStart !== "", ...tokensOf(insightsTokens(row.inputTokens), insightsTokens(row.outputTokens)) };
}

/**
 * The time of the oldest row (`@timestamp`, ms), or -Infinity for none readable. Logs Insights
 * writes it `2026-01-01 00:00:00.000` (UTC); epoch milliseconds are taken too.
 */
function oldestTimestampMs(rows: readonly Record<string, string>[]): number {
  let oldest = Infinity;
  for (const row of rows) {
    const text = row["@timestamp"];
    if (text === undefined) continue;
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(`${text.replace(" ", "T")}${/[Zz]|[+-]\d\d:?\d\d$/.test(text) ? "" : "Z"}`);
    if (Number.isFinite(ms)) oldest = Math.min(oldest, ms);
  }
  return Number.isFinite(oldest) ? oldest : -Infinity;
}

/** A run from its spans' facts, as the SQLite store derives it: the strongest, then earliest, candidate is the root (RootRank; a tie: the lower span id). */
function summarizeRows(rows: readonly RunRow[]): { run: RunSummary; startUs: number } {
  let start = Infinity;
  let end = -Infinity;
  let errors = 0;
  let steps = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let root: RunRow | undefined;
  let started: RunRow | undefined;
  for (const r of rows) {
    start = Math.min(start, r.startUs);
    end = Math.max(end, r.endUs);
    if (r.runStart) {
      started ??= r;
      continue;
    }
    steps++;
    if (r.error) errors++;
    inputTokens += r.inputTokens ?? 0;
    outputTokens += r.outputTokens ?? 0;
    // The strongest (RootRank), then the earliest, then the lower span id of two at one instant: the same root in any order of rows, as in the SQLite store.
    if (r.rootRank > 0 && (root === undefined || r.rootRank > root.rootRank || (r.rootRank === root.rootRank && (r.startUs < root.startUs || (r.startUs === root.startUs && r.spanId < root.spanId))))) root = r;
  }
  const first = rows[0] as RunRow;
  const run: RunSummary = {
    runId: first.runId,
    traceId: (root ?? first).traceId,
    // Until the root arrives, the run-start event names the run's agent, as the SQLite store's first span does.
    agent: root?.agent ?? started?.agent ?? first.agent,
    status: root === undefined ? "running" : root.error ? "error" : "ok",
    startTime: new Date(Math.floor(start / 1000)).toISOString(),
    durationMs: Math.max(0, (end - start) / 1000),
    steps,
    errors,
    inputTokens,
    outputTokens,
    ...(root?.replayOf === undefined ? {} : { replayOf: root.replayOf }),
  };
  return { run, startUs: start };
}

/** The run a set of spans (of one run) makes, or undefined for none. */
export function summarize(spans: readonly SpanRecord[]): RunSummary | undefined {
  if (spans.length === 0) return undefined;
  return summarizeRows(
    spans.map((span) => {
      const d = derive(span);
      return {
        runId: d.runId,
        traceId: span.traceId,
        spanId: span.spanId,
        startUs: d.startUs,
        endUs: d.endUs,
        error: span.status.code === 2,
        rootRank: d.rootRank,
        agent: d.agent,
        ...(d.replayOf === null ? {} : { replayOf: d.replayOf }),
        runStart: d.runStart,
        ...spanTokens(span),
      };
    }),
  ).run;
}

/**
 * Whether a value can be matched exactly in a filter pattern. A `*` in a pattern's value is a
 * wildcard that JSON quoting does not escape: a run id of `*` from an address, or a forged
 * payload ref, would read every span or payload of the group. Ids and hashes never hold one.
 */
function exact(value: string): boolean {
  return !value.includes("*");
}
