/**
 * What the JSON and protobuf decoders share: the result shape, the per-span rejection, and the
 * validation rules, so that both encodings of one request yield the same records and the same
 * rejections.
 */
import type { AttributeValue, Attributes, SpanRecord, StatusCode } from "@tracewright/store";

/** One span the decoder refused, and why. */
export interface RejectedSpan {
  /** The span's position among all spans of the request, in document order, from 0. */
  index: number;
  /** The field at fault and what was wrong, e.g. `resourceSpans[0].scopeSpans[1].spans[3].spanId: expected 16 hex digits, got "zz"`. */
  reason: string;
}

/** A decoded `ExportTraceServiceRequest`: the well-formed spans and the rejected ones. */
export interface DecodedTraces {
  spans: SpanRecord[];
  rejected: RejectedSpan[];
}

/** Deeper `arrayValue`/`kvlistValue` nesting than this rejects the span (and bounds recursion). */
export const MAX_VALUE_DEPTH = 64;

/**
 * A malformed field inside one span (or inside the resource or scope its spans share). The path
 * grows as the error unwinds through the decoder, so no path is built unless something fails.
 */
export class FieldError extends Error {
  field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(problem);
    this.field = field;
    this.problem = problem;
  }

  /** Prefixes the path with an enclosing field (`spans[3]`, `attributes[0]`, …). */
  at(prefix: string): this {
    this.field = this.field === "" ? prefix : this.field.startsWith("[") ? prefix + this.field : `${prefix}.${this.field}`;
    return this;
  }

  reason(): string {
    return `${this.field}: ${this.problem}`;
  }
}

/** Rethrows `error` with its path prefixed when it is a FieldError; other errors pass unchanged. */
export function within(prefix: string, error: unknown): never {
  if (error instanceof FieldError) throw error.at(prefix);
  throw error;
}

/** A short, quoted rendering of an offending value for messages. */
export function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = typeof value === "bigint" ? value.toString() : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Sets `key` on an attribute map; `__proto__` becomes an own property, never a prototype. */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const INT64_MAX = "9223372036854775807";

/**
 * Checks a nanosecond timestamp, already a canonical decimal string (no sign, no leading zeros):
 * it must be after the epoch and fit in an int64.
 */
export function checkTime(field: string, nanos: string): string {
  if (nanos === "0") throw new FieldError(field, "expected nanoseconds since the Unix epoch, got 0 (unset)");
  if (nanos.length > INT64_MAX.length || (nanos.length === INT64_MAX.length && nanos > INT64_MAX)) {
    throw new FieldError(field, `expected nanoseconds since the Unix epoch within int64, got ${nanos}`);
  }
  return nanos;
}

/** `end` must not precede `start`; both canonical decimal strings. */
export function checkEndAfterStart(start: string, end: string): void {
  const before = end.length < start.length || (end.length === start.length && end < start);
  if (before) throw new FieldError("endTimeUnixNano", `end time ${end} is before start time ${start}`);
}

/** The value of an int64 attribute: a number when exactly representable, else its decimal string. */
export function int64Value(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

export const INT64_MIN_BIG = -(2n ** 63n);
export const INT64_MAX_BIG = 2n ** 63n - 1n;

/** A double attribute: finite numbers as they are, NaN and ±Infinity as the strings the JSON mapping uses. */
export function doubleValue(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

export const SPAN_KIND_NAMES = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"] as const;
export const STATUS_CODE_NAMES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"] as const;

export function checkKind(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= SPAN_KIND_NAMES.length) {
    throw new FieldError("kind", `expected a span kind 0-5 or a SPAN_KIND_* name, got ${shown(value)}`);
  }
  return value;
}

export function checkStatusCode(value: number): StatusCode {
  if (value !== 0 && value !== 1 && value !== 2) {
    throw new FieldError("status.code", `expected a status code 0-2 or a STATUS_CODE_* name, got ${shown(value)}`);
  }
  return value;
}

/** Trace ids and span ids may not be all zeros (the OTLP spec calls those invalid). */
export function checkNonZeroId(field: string, hex: string): string {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 0x30) return hex;
  throw new FieldError(field, `an all-zero id is invalid, got "${hex}"`);
}

/** `text` as lower-case hex, or undefined when it holds anything but hex digits. One pass, no copy when already lower-case. */
export function lowerHex(text: string): string | undefined {
  let upper = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue;
    if (c >= 0x41 && c <= 0x46) upper = true;
    else return undefined;
  }
  return upper ? text.toLowerCase() : text;
}

/**
 * A decoded span as a record. Both decoders build it here, in one key order and with one
 * object shape per case (with or without a parent), which keeps the store's
 * `JSON.stringify` of it on V8's fast path.
 */
export function spanRecord(
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  kind: number,
  startTimeUnixNano: string,
  endTimeUnixNano: string,
  status: SpanRecord["status"],
  attributes: Attributes,
  events: SpanRecord["events"],
  links: SpanRecord["links"],
  resource: Attributes,
  scope: SpanRecord["scope"],
): SpanRecord {
  const span: SpanRecord =
    parentSpanId === undefined
      ? { traceId, spanId, name, kind, startTimeUnixNano, endTimeUnixNano, status, attributes, events, links, resource }
      : { traceId, spanId, parentSpanId, name, kind, startTimeUnixNano, endTimeUnixNano, status, attributes, events, links, resource };
  if (scope !== undefined) span.scope = scope;
  return span;
}
