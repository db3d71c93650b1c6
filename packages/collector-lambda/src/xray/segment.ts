/**
 * Spans to X-Ray segment documents, following the OpenTelemetry Collector's `awsxrayexporter`
 * translation (pkg/translator/aws-xray):
 *
 * - a span without a parent, or of kind SERVER or CONSUMER, is a **segment** (named after the
 *   resource's `service.name`); every other span is a **subsegment** (`type: "subsegment"`, named
 *   after the span, `namespace: "remote"` for CLIENT and PRODUCER spans), sent as its own
 *   document with `parent_id`, as X-Ray allows;
 * - the trace id is `1-<first 8 hex>-<last 24 hex>` of the OTLP trace id;
 * - names keep only `[ 0-9\p{L}N_.:/%&#=+,\-@]` and at most 200 characters;
 * - annotations (indexed, searchable) for the run id, agent, step kind, tool and model, plus any
 *   keys listed in `indexedAttributes` or the span's `aws.xray.annotations`: keys become
 *   `[A-Za-z0-9_]` (anything else is `_`), at most 50; values are strings, numbers or booleans;
 * - metadata for the rest: `metadata.default` holds the other attributes under their own keys,
 *   `metadata.tracewright` what X-Ray has no field for (exact times, kind, events, resource,
 *   scope), so that nothing recorded is lost;
 * - `error` for HTTP 4xx, `throttle` (with `error`) for 429, `fault` for 5xx and for an ERROR
 *   status without an HTTP code; `cause` lists the span's exception events with parsed stack
 *   frames (or the status message);
 * - span links become `links: [{ trace_id, id, attributes }]`;
 * - a run-start span (`tracewright.run.start`, not a step) becomes no document of its own: when it
 *   marks a parentless root, it yields that root's **in-progress segment** (`in_progress: true`, no
 *   `end_time`, `toInProgressSegment`), which X-Ray shows until the root's complete segment, sent
 *   when the run ends, overwrites it (one complete and at most one in-progress document per id).
 *
 * A document never exceeds `maxDocumentBytes` (64 KB, X-Ray's limit): the largest metadata
 * values (the states, above all) are replaced by a pointer to the step's CloudWatch Logs event,
 * which carries the whole state (`{ "tracewright.offloaded": { logGroup, filterPattern, … } }`),
 * then stack frames and annotations are trimmed, then the HTTP URL and method and the span's
 * name are cut, until it fits; a span that still cannot fit is refused (a RangeError).
 */
import { createHash } from "node:crypto";
import type { AttributeValue, Attributes, SpanRecord } from "@tracewright/store";
import { Exception, GenAI, Resource, RunStart, Tracewright } from "@tracewright/instrument/conventions";

/** X-Ray's largest segment document. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
export const MAX_NAME_LENGTH = 200;
export const MAX_ANNOTATIONS = 50;
/** Annotation string values are cut to this many characters (they are for search, not storage). */
export const MAX_ANNOTATION_VALUE_LENGTH = 1_000;
/** What is kept of a long text (exception message, URL, span name) once a document must shrink. */
const MAX_CUT_LENGTH = 1_000;
/** The span attribute listing further keys to index, as in the awsxrayexporter. */
export const XRAY_ANNOTATIONS_ATTRIBUTE = "aws.xray.annotations";
/** The metadata key marking a value moved out of the document. */
export const OFFLOADED = "tracewright.offloaded";

/** The attributes always indexed as annotations. */
export const DEFAULT_INDEXED_ATTRIBUTES: readonly string[] = [Tracewright.RUN_ID, GenAI.AGENT_NAME, Tracewright.STEP_KIND, GenAI.TOOL_NAME, GenAI.REQUEST_MODEL];

export interface SegmentOptions {
  /** Further attribute keys to index as annotations. Default: none. */
  indexedAttributes?: readonly string[];
  /** The log group the CloudWatch Logs sink writes to, named in offload pointers. Env: `TRACEWRIGHT_LOG_GROUP`. */
  logGroupName?: string;
  /** The largest document produced. Default: 64 KB. */
  maxDocumentBytes?: number;
}

/** One translated span. */
export interface SegmentDocument {
  /** The segment's id (the span id). */
  id: string;
  /** The X-Ray trace id. */
  traceId: string;
  /** The document, serialized. */
  json: string;
  /** Metadata keys whose values were moved out to fit the size limit. */
  offloaded: string[];
}

export interface XRayCause {
  exceptions: { id: string; type?: string; message?: string; stack?: { path?: string; line?: number; label?: string }[]; remote?: boolean }[];
}

interface Doc {
  name: string;
  id: string;
  trace_id: string;
  start_time: number;
  end_time?: number;
  in_progress?: true;
  parent_id?: string;
  type?: "subsegment";
  namespace?: "remote";
  error?: true;
  throttle?: true;
  fault?: true;
  http?: { request?: { method?: string; url?: string }; response?: { status?: number } };
  cause?: XRayCause;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
  links?: { trace_id: string; id: string; attributes?: Attributes }[];
}

/** `1-<8 hex>-<24 hex>` from a 32-hex OTLP trace id. */
export function xrayTraceId(otlpTraceId: string): string {
  const hex = otlpTraceId.toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new RangeError(`expected a trace id of 32 hex digits, got ${JSON.stringify(otlpTraceId)}`);
  return `1-${hex.slice(0, 8)}-${hex.slice(8)}`;
}

/** The OTLP trace id of an X-Ray trace id (the inverse of `xrayTraceId`). */
export function otlpTraceId(xrayId: string): string {
  const match = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/.exec(xrayId);
  if (match === null) throw new RangeError(`expected an X-Ray trace id 1-<8 hex>-<24 hex>, got ${JSON.stringify(xrayId)}`);
  return `${match[1]}${match[2]}`;
}

const INVALID_NAME_CHARACTERS = /[^ 0-9\p{L}N_.:/%&#=+,\-@]/gu;

/** A segment name as X-Ray takes it: allowed characters only, at most 200, never empty. */
export function sanitizeName(name: string): string {
  const clean = [...name.replace(INVALID_NAME_CHARACTERS, "")].slice(0, MAX_NAME_LENGTH).join("");
  return clean === "" ? "span" : clean;
}

/** An annotation key as X-Ray indexes it: `[A-Za-z0-9_]` only. */
export function annotationKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, "_");
}

const SEGMENT_KINDS = new Set([2, 5]); // SERVER, CONSUMER
const REMOTE_KINDS = new Set([3, 4]); // CLIENT, PRODUCER
const HTTP_STATUS_KEYS = ["http.response.status_code", "http.status_code"];
const HTTP_METHOD_KEYS = ["http.request.method", "http.method"];
const HTTP_URL_KEYS = ["url.full", "http.url"];

/** Epoch seconds with microsecond precision, from exact nanoseconds. */
function seconds(nanos: string): number {
  const padded = nanos.padStart(10, "0");
  return Number(padded.slice(0, -9)) + Number(padded.slice(-9, -3)) / 1e6;
}

/** Translates one span; throws a RangeError naming the field when the span cannot become a document. */
export function toSegmentDocument(span: SpanRecord, options: SegmentOptions = {}): SegmentDocument {
  const maxBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const traceId = xrayTraceId(span.traceId);
  if (!/^[0-9a-f]{16}$/.test(span.spanId)) throw new RangeError(`spanId: expected 16 hex digits, got ${JSON.stringify(span.spanId)}`);
  const hasParent = span.parentSpanId !== undefined && span.parentSpanId !== "";
  const isSegment = !hasParent || SEGMENT_KINDS.has(span.kind);
  const serviceName = typeof span.resource[Resource.SERVICE_NAME] === "string" ? (span.resource[Resource.SERVICE_NAME] as string) : undefined;

  const doc: Doc = {
    name: sanitizeName(isSegment ? (serviceName ?? span.name) : span.name),
    id: span.spanId,
    trace_id: traceId,
    start_time: seconds(span.startTimeUnixNano),
    end_time: seconds(span.endTimeUnixNano),
  };
  if (hasParent) doc.parent_id = span.parentSpanId as string;
  if (!isSegment) doc.type = "subsegment";
  if (!isSegment && REMOTE_KINDS.has(span.kind)) doc.namespace = "remote";

  const attributes = span.attributes;
  const httpStatus = firstNumber(attributes, HTTP_STATUS_KEYS);
  const method = firstString(attributes, HTTP_METHOD_KEYS);
  const url = firstString(attributes, HTTP_URL_KEYS);
  if (httpStatus !== undefined || method !== undefined || url !== undefined) {
    doc.http = {
      ...(method !== undefined || url !== undefined ? { request: { ...(method === undefined ? {} : { method }), ...(url === undefined ? {} : { url }) } } : {}),
      ...(httpStatus === undefined ? {} : { response: { status: httpStatus } }),
    };
  }
  Object.assign(doc, faultFlags(span.status.code, httpStatus));
  const cause = makeCause(span);
  if (cause !== undefined && (doc.error === true || doc.fault === true)) doc.cause = cause;

  // Annotations: the default keys, the configured ones, and the span's own aws.xray.annotations.
  const indexed = new Set<string>([...DEFAULT_INDEXED_ATTRIBUTES, ...(options.indexedAttributes ?? [])]);
  const listed = attributes[XRAY_ANNOTATIONS_ATTRIBUTE];
  if (Array.isArray(listed)) for (const key of listed) if (typeof key === "string") indexed.add(key);
  const annotations: Record<string, string | number | boolean> = {};
  /** sanitized key → original key, so a reader can restore the attribute. */
  const annotated: Record<string, string> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key === XRAY_ANNOTATIONS_ATTRIBUTE) {
      rest[key] = value;
      continue;
    }
    const scalar = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
    const akey = annotationKey(key);
    const fits = typeof value !== "string" || [...value].length <= MAX_ANNOTATION_VALUE_LENGTH;
    if (indexed.has(key) && scalar && fits && Object.keys(annotations).length < MAX_ANNOTATIONS && !(akey in annotations)) {
      annotations[akey] = value;
      annotated[akey] = key;
    } else {
      rest[key] = value;
    }
  }
  if (Object.keys(annotations).length > 0) doc.annotations = annotations;

  doc.metadata = {
    default: rest,
    tracewright: {
      name: span.name,
      kind: span.kind,
      start_time_unix_nano: span.startTimeUnixNano,
      end_time_unix_nano: span.endTimeUnixNano,
      status: span.status,
      events: span.events,
      resource: span.resource,
      ...(span.scope === undefined ? {} : { scope: span.scope }),
      ...(Object.keys(annotated).length > 0 ? { annotated } : {}),
    },
  };
  if (span.links.length > 0) {
    doc.links = span.links.map((link) => ({ trace_id: xrayTraceId(link.traceId), id: link.spanId, ...(Object.keys(link.attributes).length > 0 ? { attributes: link.attributes } : {}) }));
  }

  const offloaded = fit(doc, span, maxBytes, options.logGroupName);
  return { id: span.spanId, traceId, json: JSON.stringify(doc), offloaded };
}

/**
 * The in-progress segment of the root a run-start span marks: the root's id, the service's name,
 * the root's start time, `in_progress: true`, and the run id and agent as annotations. Undefined
 * when there is none to send: the marked root has a parent (`tracewright.run.start` is
 * `continued`: it may be a subsegment, under a parent this span does not name), or the span is
 * not a run-start span. Throws a RangeError as `toSegmentDocument` does for malformed ids.
 */
export function toInProgressSegment(marker: SpanRecord): SegmentDocument | undefined {
  if (marker.attributes[Tracewright.RUN_START] !== RunStart.ROOT) return undefined;
  const rootId = marker.parentSpanId;
  if (rootId === undefined || !/^[0-9a-f]{16}$/.test(rootId)) throw new RangeError(`parentSpanId: a run-start span names its root by 16 hex digits, got ${JSON.stringify(rootId)}`);
  const traceId = xrayTraceId(marker.traceId);
  const serviceName = marker.resource[Resource.SERVICE_NAME];
  const annotations: Record<string, string> = {};
  for (const key of [Tracewright.RUN_ID, GenAI.AGENT_NAME]) {
    const value = marker.attributes[key];
    if (typeof value === "string" && [...value].length <= MAX_ANNOTATION_VALUE_LENGTH) annotations[annotationKey(key)] = value;
  }
  const doc: Doc = {
    name: sanitizeName(typeof serviceName === "string" ? serviceName : marker.name),
    id: rootId,
    trace_id: traceId,
    start_time: seconds(marker.startTimeUnixNano),
    in_progress: true,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    metadata: { tracewright: { in_progress_from: marker.spanId, start_time_unix_nano: marker.startTimeUnixNano } },
  };
  return { id: rootId, traceId, json: JSON.stringify(doc), offloaded: [] };
}

function faultFlags(code: number, httpStatus: number | undefined): Pick<Doc, "error" | "fault" | "throttle"> {
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) return httpStatus === 429 ? { error: true, throttle: true } : { error: true };
  if (httpStatus !== undefined && httpStatus >= 500) return { fault: true };
  if (code === 2) return { fault: true };
  return {};
}

/** The exceptions of a failed span: its exception events, else its status message. */
function makeCause(span: SpanRecord): XRayCause | undefined {
  const exceptions: XRayCause["exceptions"] = [];
  span.events.forEach((event, index) => {
    if (event.name !== Exception.EVENT_NAME) return;
    const type = event.attributes[Exception.TYPE];
    const message = event.attributes[Exception.MESSAGE];
    const stack = event.attributes[Exception.STACKTRACE];
    exceptions.push({
      id: exceptionId(span.spanId, index),
      ...(typeof type === "string" ? { type } : {}),
      ...(typeof message === "string" ? { message } : {}),
      ...(typeof stack === "string" ? { stack: parseStack(stack) } : {}),
    });
  });
  if (exceptions.length === 0 && span.status.code === 2) {
    exceptions.push({ id: exceptionId(span.spanId, -1), ...(span.status.message === undefined ? {} : { message: span.status.message }) });
  }
  return exceptions.length === 0 ? undefined : { exceptions };
}

/** A stable 16-hex exception id, so a redelivered span yields the same document. */
function exceptionId(spanId: string, index: number): string {
  return createHash("sha256").update(`${spanId}/${index}`).digest("hex").slice(0, 16);
}

/** V8 (`at label (path:line:col)`, `at path:line:col`) and Python-style frames; other lines are skipped. */
export function parseStack(stack: string): { path?: string; line?: number; label?: string }[] {
  const frames: { path?: string; line?: number; label?: string }[] = [];
  for (const raw of stack.split("\n")) {
    const line = raw.trim();
    let match = /^at (?:(.+?) \()?(.+?):(\d+)(?::\d+)?\)?$/.exec(line);
    if (match !== null) {
      frames.push({ ...(match[1] === undefined ? {} : { label: match[1] }), path: match[2] as string, line: Number(match[3]) });
      continue;
    }
    match = /^File "(.+)", line (\d+)(?:, in (.+))?$/.exec(line);
    if (match !== null) frames.push({ path: match[1] as string, line: Number(match[2]), ...(match[3] === undefined ? {} : { label: match[3] }) });
  }
  return frames;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

/**
 * Shrinks the document in place until it fits: first the largest metadata values become
 * pointers to the CloudWatch Logs event, then stack frames go, then annotation values are cut,
 * then the events and resource copies go. Returns the keys moved out.
 */
function fit(doc: Doc, span: SpanRecord, maxBytes: number, logGroupName: string | undefined): string[] {
  const moved: string[] = [];
  if (byteLength(doc) <= maxBytes) return moved;
  const runId = span.attributes[Tracewright.RUN_ID];
  const pointer = (key: string, value: unknown): Record<string, unknown> => ({
    [OFFLOADED]: {
      key,
      bytes: byteLength(value),
      sha256: createHash("sha256").update(JSON.stringify(value) ?? "").digest("hex"),
      store: "cloudwatch-logs",
      ...(logGroupName === undefined ? {} : { logGroup: logGroupName }),
      filterPattern: `{ $.spanId = "${span.spanId}" && $.otelTraceId = "${span.traceId}" }`,
      ...(typeof runId === "string" ? { runId } : {}),
      spanId: span.spanId,
    },
  });
  const meta = doc.metadata as { default: Record<string, unknown>; tracewright: Record<string, unknown> };
  const candidates = Object.entries(meta.default)
    .map(([key, value]) => ({ key, size: byteLength(value) }))
    .sort((a, b) => b.size - a.size);
  // The document's size kept by difference, not measured again after each move: a value swapped
  // for its pointer changes the JSON text by exactly the difference of the two (its key and commas
  // stay). Measured after each, a span of a thousand 2 KB attributes took 3 s (quadratic).
  let docBytes = byteLength(doc);
  for (const { key, size } of candidates) {
    if (size < 256) break;
    const replacement = pointer(key, meta.default[key]);
    meta.default[key] = replacement;
    moved.push(key);
    docBytes += byteLength(replacement) - size;
    if (docBytes <= maxBytes) return moved;
  }
  for (const key of ["events", "resource"] as const) {
    if (byteLength(meta.tracewright[key]) >= 256) {
      meta.tracewright[key] = pointer(`tracewright.${key}`, meta.tracewright[key]);
      moved.push(`tracewright.${key}`);
      if (byteLength(doc) <= maxBytes) return moved;
    }
  }
  for (const exception of doc.cause?.exceptions ?? []) {
    if (exception.stack !== undefined && exception.stack.length > 10) exception.stack = exception.stack.slice(0, 10);
    if (exception.message !== undefined) exception.message = cut(exception.message, MAX_CUT_LENGTH);
  }
  if (byteLength(doc) <= maxBytes) return moved;
  for (const [key, value] of Object.entries(doc.annotations ?? {})) {
    if (typeof value === "string" && value.length > 64) (doc.annotations as Record<string, unknown>)[key] = value.slice(0, 64);
  }
  if (byteLength(doc) <= maxBytes) return moved;
  // Still too large (thousands of small attributes or links, a huge URL or span name): everything
  // optional goes out. The `http` fields are copies of attributes (kept whole in the CloudWatch
  // Logs event the pointer names), so cutting them loses nothing; so is the span's name.
  const all = { default: meta.default, links: doc.links };
  doc.metadata = { default: pointer("metadata", all), tracewright: { name: cut(span.name, MAX_CUT_LENGTH), kind: span.kind, start_time_unix_nano: span.startTimeUnixNano, end_time_unix_nano: span.endTimeUnixNano, status: { code: span.status.code } } };
  delete doc.links;
  moved.push("metadata");
  if (doc.cause !== undefined) doc.cause = { exceptions: doc.cause.exceptions.slice(0, 1).map((e) => ({ id: e.id, ...(e.type === undefined ? {} : { type: e.type.slice(0, 200) }) })) };
  const request = doc.http?.request;
  if (request?.url !== undefined) request.url = cut(request.url, MAX_CUT_LENGTH);
  if (request?.method !== undefined) request.method = cut(request.method, 64);
  if (byteLength(doc) > maxBytes) delete doc.annotations;
  const bytes = byteLength(doc);
  // Nothing optional is left; a document over the limit would be refused by X-Ray, or never leave
  // the daemon's socket (EMSGSIZE, failing the batch at every retry). Refused here, it is reported.
  if (bytes > maxBytes) throw new RangeError(`the document is ${bytes} bytes with everything optional moved out, over the ${maxBytes}-byte limit`);
  return moved;
}

function cut(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}…`;
}

function firstNumber(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const v: AttributeValue | undefined = attributes[key];
    if (typeof v === "number" && Number.isInteger(v)) return v;
    if (typeof v === "string" && /^\d{3}$/.test(v)) return Number(v);
  }
  return undefined;
}

function firstString(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = attributes[key];
    if (typeof v === "string" && v !== "") return v;
  }
  return undefined;
}

/**
 * Rebuilds the span a document was made from (the inverse of `toSegmentDocument`, for documents
 * nothing was moved out of). Readers and tests use it to check that the translation loses nothing.
 */
export function fromSegmentDocument(json: string): SpanRecord {
  const doc = JSON.parse(json) as Doc;
  if (doc.in_progress === true) throw new RangeError(`segment ${doc.id} is in progress: it stands for a root that has not ended, not for a span (see toInProgressSegment)`);
  const tw = (doc.metadata?.tracewright ?? {}) as {
    name: string;
    kind: number;
    start_time_unix_nano: string;
    end_time_unix_nano: string;
    status: SpanRecord["status"];
    events: SpanRecord["events"];
    resource: Attributes;
    scope?: SpanRecord["scope"];
    annotated?: Record<string, string>;
  };
  const attributes: Attributes = {};
  for (const [akey, value] of Object.entries(doc.annotations ?? {})) attributes[tw.annotated?.[akey] ?? akey] = value;
  Object.assign(attributes, doc.metadata?.default ?? {});
  return {
    traceId: otlpTraceId(doc.trace_id),
    spanId: doc.id,
    ...(doc.parent_id === undefined ? {} : { parentSpanId: doc.parent_id }),
    name: tw.name,
    kind: tw.kind,
    startTimeUnixNano: tw.start_time_unix_nano,
    endTimeUnixNano: tw.end_time_unix_nano,
    status: tw.status,
    attributes,
    events: tw.events,
    links: (doc.links ?? []).map((l) => ({ traceId: otlpTraceId(l.trace_id), spanId: l.id, attributes: l.attributes ?? {} })),
    resource: tw.resource,
    ...(tw.scope === undefined ? {} : { scope: tw.scope }),
  };
}
