/**
 * Decoder of OTLP/HTTP JSON `ExportTraceServiceRequest` bodies, following the OTLP JSON mapping
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): lowerCamelCase keys, hex
 * trace and span ids (any case), int64 and fixed64 as decimal strings or numbers, enums as
 * numbers or names.
 */
import { isAscii } from "node:buffer";
import type { AttributeValue, Attributes, SpanEventRecord, SpanLinkRecord, SpanRecord, StatusCode } from "@tracewright/store";
import { OtlpDecodeError } from "../errors.js";
import type { DecodedTraces, RejectedSpan } from "./common.js";
import {
  FieldError,
  INT64_MAX_BIG,
  INT64_MIN_BIG,
  MAX_VALUE_DEPTH,
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  checkEndAfterStart,
  checkKind,
  checkNonZeroId,
  checkStatusCode,
  checkTime,
  doubleValue,
  int64Value,
  lowerHex,
  setAttribute,
  spanRecord,
  shown,
  within,
} from "./common.js";

type Json = Record<string, unknown>;

/**
 * Decodes an OTLP/HTTP JSON body. Malformed spans are rejected one by one (with the field at
 * fault); a body that is not a JSON object, or whose `resourceSpans`/`scopeSpans`/`spans`
 * containers are not arrays of objects, throws {@link OtlpDecodeError}.
 */
export function decodeOtlpJson(body: string | Uint8Array): DecodedTraces {
  const text = typeof body === "string" ? body : bodyText(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  let root: unknown;
  try {
    root = JSON.parse(quoteLongIntegers(text));
  } catch (cause) {
    throw new OtlpDecodeError(`The body is not valid JSON: ${(cause as Error).message}. Send an OTLP ExportTraceServiceRequest as JSON, or use Content-Type: application/x-protobuf for protobuf.`, { cause });
  }
  if (!isObject(root)) {
    throw new OtlpDecodeError(`Expected a JSON object (an OTLP ExportTraceServiceRequest), got ${describe(root)}.`);
  }

  const spans: SpanRecord[] = [];
  const rejected: RejectedSpan[] = [];
  const resourceSpans = list(root, "resourceSpans", "resourceSpans");
  let index = 0;
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    const rsPath = `resourceSpans[${r}]`;
    if (!isObject(rs)) throw new OtlpDecodeError(`${rsPath}: expected an object, got ${describe(rs)}.`);
    const scopeSpans = list(rs, "scopeSpans", `${rsPath}.scopeSpans`);

    let resource: Attributes | FieldError;
    try {
      resource = decodeResource(rs.resource);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      resource = error.at(`${rsPath}.resource`);
    }

    for (let s = 0; s < scopeSpans.length; s++) {
      const ss = scopeSpans[s];
      const ssPath = `${rsPath}.scopeSpans[${s}]`;
      if (!isObject(ss)) throw new OtlpDecodeError(`${ssPath}: expected an object, got ${describe(ss)}.`);
      const spanList = list(ss, "spans", `${ssPath}.spans`);

      let scope: SpanRecord["scope"] | FieldError;
      try {
        scope = decodeScope(ss.scope);
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        scope = error.at(`${ssPath}.scope`);
      }

      for (let i = 0; i < spanList.length; i++, index++) {
        const shared = resource instanceof FieldError ? resource : scope instanceof FieldError ? scope : undefined;
        if (shared !== undefined) {
          rejected.push({ index, reason: shared.reason() });
          continue;
        }
        try {
          spans.push(decodeSpan(spanList[i], resource as Attributes, scope as SpanRecord["scope"]));
        } catch (error) {
          if (!(error instanceof FieldError)) throw error;
          rejected.push({ index, reason: error.at(`${ssPath}.spans[${i}]`).reason() });
        }
      }
    }
  }
  return { spans, rejected };
}

/** The body as text: UTF-8, read as Latin-1 (a plain copy, same characters) when it is all ASCII, as OTLP JSON mostly is. */
function bodyText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

/**
 * `JSON.parse` rounds integers beyond 2^53; OTLP senders may write nanosecond times and int64
 * attribute values as bare numbers. Quote such long literals (16+ digits) in the four int64
 * fields (`startTimeUnixNano`, `endTimeUnixNano`, `timeUnixNano`, `intValue`) first, so they
 * stay exact. A key whose opening quote follows a backslash is escaped text inside a string
 * (a `"` inside a JSON string always is), and is left alone.
 *
 * This is one pass of `indexOf` over the body for the two key endings (`Nano"`, `intValue"`),
 * looking further only where a bare number of 16 digits or more follows: most senders (the
 * OpenTelemetry SDKs among them) quote their times, so a body is usually returned as it came.
 */
export function quoteLongIntegers(text: string): string {
  let out = "";
  let copied = 0;
  let nano = text.indexOf('Nano"');
  let int = text.indexOf('intValue"');
  while (nano !== -1 || int !== -1) {
    const isNano = nano !== -1 && (int === -1 || nano < int);
    const at = isNano ? nano : int;
    const keyEnd = at + (isNano ? 5 : 9);
    const digits = longIntegerAfter(text, keyEnd);
    if (digits !== undefined && (isNano ? isTimeKey(text, at) : isKey(text, at, 0))) {
      out += `${text.slice(copied, digits.start)}"${text.slice(digits.start, digits.end)}"`;
      copied = digits.end;
    }
    if (isNano) nano = text.indexOf('Nano"', keyEnd);
    else int = text.indexOf('intValue"', keyEnd);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** After a key's closing quote: `\s*:\s*-?\d{16,}` then `\s*[,}\]]`, as the span of the number. */
function longIntegerAfter(text: string, from: number): { start: number; end: number } | undefined {
  let i = skipSpace(text, from);
  if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
  i = skipSpace(text, i + 1);
  const start = i;
  if (text.charCodeAt(i) === 0x2d /* - */) i++;
  const first = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i - first < 16) return undefined;
  const after = text.charCodeAt(skipSpace(text, i));
  return after === 0x2c /* , */ || after === 0x7d /* } */ || after === 0x5d /* ] */ ? { start, end: i } : undefined;
}

const TIME_KEYS = ["startTime", "endTime", "time"] as const;

/** Whether `Nano"` at `at` closes one of the three time keys. */
function isTimeKey(text: string, at: number): boolean {
  if (!text.startsWith("Unix", at - 4)) return false;
  for (const prefix of TIME_KEYS) if (isKey(text, at - 4, prefix.length) && text.startsWith(prefix, at - 4 - prefix.length)) return true;
  return false;
}

/** Whether an opening quote sits `before` characters ahead of `at`, itself not after a backslash. */
function isKey(text: string, at: number, before: number): boolean {
  const quote = at - before - 1;
  return quote >= 0 && text.charCodeAt(quote) === 0x22 && (quote === 0 || text.charCodeAt(quote - 1) !== 0x5c);
}

function skipSpace(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  return i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function decodeSpan(value: unknown, resource: Attributes, scope: SpanRecord["scope"]): SpanRecord {
  if (!isObject(value)) throw new FieldError("", `expected a span object, got ${describe(value)}`);
  const traceId = checkNonZeroId("traceId", hexId(value.traceId, 32, "traceId"));
  const spanId = checkNonZeroId("spanId", hexId(value.spanId, 16, "spanId"));
  const parentSpanId = value.parentSpanId === undefined || value.parentSpanId === "" || value.parentSpanId === null ? undefined : hexId(value.parentSpanId, 16, "parentSpanId");
  const name = optionalString(value.name, "name");
  const kind = value.kind === undefined || value.kind === null ? 0 : checkKind(enumValue(value.kind, SPAN_KIND_NAMES, "kind"));
  const startTimeUnixNano = checkTime("startTimeUnixNano", nanos(value.startTimeUnixNano, "startTimeUnixNano"));
  const endTimeUnixNano = checkTime("endTimeUnixNano", nanos(value.endTimeUnixNano, "endTimeUnixNano"));
  checkEndAfterStart(startTimeUnixNano, endTimeUnixNano);
  const status = decodeStatus(value.status);
  const attributes = keyValues(value.attributes, "attributes");
  const events = records(value.events, "events", decodeEvent);
  const links = records(value.links, "links", decodeLink);

  return spanRecord(traceId, spanId, parentSpanId, name, kind, startTimeUnixNano, endTimeUnixNano, status, attributes, events, links, resource, scope);
}

function decodeStatus(value: unknown): SpanRecord["status"] {
  if (value === undefined || value === null) return { code: 0 };
  if (!isObject(value)) throw new FieldError("status", `expected an object, got ${describe(value)}`);
  const code: StatusCode = value.code === undefined || value.code === null ? 0 : checkStatusCode(enumValue(value.code, STATUS_CODE_NAMES, "status.code"));
  const message = optionalString(value.message, "status.message");
  return message === "" ? { code } : { code, message };
}

function decodeEvent(value: Json): SpanEventRecord {
  return {
    name: optionalString(value.name, "name"),
    timeUnixNano: checkTime("timeUnixNano", nanos(value.timeUnixNano, "timeUnixNano")),
    attributes: keyValues(value.attributes, "attributes"),
  };
}

function decodeLink(value: Json): SpanLinkRecord {
  return {
    traceId: checkNonZeroId("traceId", hexId(value.traceId, 32, "traceId")),
    spanId: checkNonZeroId("spanId", hexId(value.spanId, 16, "spanId")),
    attributes: keyValues(value.attributes, "attributes"),
  };
}

function decodeResource(value: unknown): Attributes {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new FieldError("", `expected an object, got ${describe(value)}`);
  return keyValues(value.attributes, "attributes");
}

function decodeScope(value: unknown): SpanRecord["scope"] {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError("", `expected an object, got ${describe(value)}`);
  const name = optionalString(value.name, "name");
  const version = optionalString(value.version, "version");
  return version === "" ? { name } : { name, version };
}

/** A repeated message field: absent means none; each element must be an object. */
function records<T>(value: unknown, field: string, decode: (item: Json) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FieldError(field, `expected an array, got ${describe(value)}`);
  const out: T[] = new Array<T>(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isObject(item)) throw new FieldError(`${field}[${i}]`, `expected an object, got ${describe(item)}`);
    try {
      out[i] = decode(item);
    } catch (error) {
      within(`${field}[${i}]`, error);
    }
  }
  return out;
}

/** A `repeated KeyValue` as an attribute map; a later duplicate key wins, as in the SDKs. */
function keyValues(value: unknown, field: string, depth = 0): Attributes {
  const out: Attributes = {};
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) throw new FieldError(field, `expected an array of key-value objects, got ${describe(value)}`);
  for (let i = 0; i < value.length; i++) {
    const kv: unknown = value[i];
    try {
      if (!isObject(kv)) throw new FieldError("", `expected a key-value object, got ${describe(kv)}`);
      const key = optionalString(kv.key, "key");
      setAttribute(out, key, anyValue(kv.value, depth));
    } catch (error) {
      within(`${field}[${i}]`, error);
    }
  }
  return out;
}

function anyValue(value: unknown, depth: number): AttributeValue {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new FieldError("value", `expected an AnyValue object, got ${describe(value)}`);
  try {
    return anyValueOf(value, depth);
  } catch (error) {
    return within("value", error);
  }
}

function anyValueOf(value: Json, depth: number): AttributeValue {
  if (depth >= MAX_VALUE_DEPTH) throw new FieldError("", `values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const stringValue = value.stringValue;
  // Most attributes are strings: answer those before looking up the other six fields.
  if (typeof stringValue === "string") return stringValue;
  const { boolValue, intValue, doubleValue: double, arrayValue, kvlistValue, bytesValue } = value;
  if (stringValue !== undefined && stringValue !== null) throw new FieldError("stringValue", `expected a string, got ${describe(stringValue)}`);
  if (boolValue !== undefined && boolValue !== null) {
    if (typeof boolValue !== "boolean") throw new FieldError("boolValue", `expected true or false, got ${describe(boolValue)}`);
    return boolValue;
  }
  if (intValue !== undefined && intValue !== null) return int64Value(int64(intValue, "intValue"));
  if (double !== undefined && double !== null) return doubleValue(parseDouble(double));
  if (arrayValue !== undefined && arrayValue !== null) {
    if (!isObject(arrayValue)) throw new FieldError("arrayValue", `expected an object with "values", got ${describe(arrayValue)}`);
    const values = arrayValue.values;
    if (values === undefined || values === null) return [];
    if (!Array.isArray(values)) throw new FieldError("arrayValue.values", `expected an array, got ${describe(values)}`);
    const out: AttributeValue[] = new Array<AttributeValue>(values.length);
    for (let i = 0; i < values.length; i++) {
      const item: unknown = values[i];
      try {
        if (item === undefined || item === null) out[i] = null;
        else if (!isObject(item)) throw new FieldError("", `expected an AnyValue object, got ${describe(item)}`);
        else out[i] = anyValueOf(item, depth + 1);
      } catch (error) {
        within(`arrayValue.values[${i}]`, error);
      }
    }
    return out;
  }
  if (kvlistValue !== undefined && kvlistValue !== null) {
    if (!isObject(kvlistValue)) throw new FieldError("kvlistValue", `expected an object with "values", got ${describe(kvlistValue)}`);
    return keyValues(kvlistValue.values, "kvlistValue.values", depth + 1);
  }
  if (bytesValue !== undefined && bytesValue !== null) {
    if (typeof bytesValue !== "string" || !BASE64.test(bytesValue) || bytesValue.replace(/=+$/, "").length % 4 === 1) {
      throw new FieldError("bytesValue", `expected base64, got ${shown(bytesValue)}`);
    }
    // Canonical standard base64 (the URL-safe alphabet is accepted too), as the protobuf decoder yields.
    return Buffer.from(bytesValue, "base64").toString("base64");
  }
  return null;

  function parseDouble(raw: unknown): number {
    if (typeof raw === "number") return raw;
    if (typeof raw === "string") {
      if (raw === "NaN") return Number.NaN;
      if (raw === "Infinity") return Number.POSITIVE_INFINITY;
      if (raw === "-Infinity") return Number.NEGATIVE_INFINITY;
      const parsed = raw.trim() === "" ? Number.NaN : Number(raw);
      if (Number.isFinite(parsed)) return parsed;
    }
    throw new FieldError("doubleValue", `expected a number, "NaN", "Infinity" or "-Infinity", got ${shown(raw)}`);
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function hexId(value: unknown, digits: 16 | 32, field: string): string {
  const id = typeof value === "string" && value.length === digits ? lowerHex(value) : undefined;
  if (id === undefined) throw new FieldError(field, `expected ${digits} hex digits, got ${shown(value)}`);
  return id;
}

const DECIMAL = /^-?\d+$/;

/** An int64 given as a number or a decimal string. */
function int64(value: unknown, field: string): bigint {
  let big: bigint | undefined;
  if (typeof value === "number" && Number.isInteger(value)) big = BigInt(value);
  else if (typeof value === "string" && value.length <= 21 && DECIMAL.test(value)) big = BigInt(value);
  if (big === undefined) throw new FieldError(field, `expected an integer (number or decimal string), got ${shown(value)}`);
  if (big < INT64_MIN_BIG || big > INT64_MAX_BIG) throw new FieldError(field, `expected an int64, got ${shown(value)} (out of range)`);
  return big;
}

/** A fixed64 nanosecond time given as a number or a decimal string, as a canonical decimal string. */
function nanos(value: unknown, field: string): string {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new FieldError(field, `expected whole nanoseconds, got ${shown(value)}`);
    if (value < 0) throw new FieldError(field, `expected nanoseconds since the Unix epoch, got a negative ${value}`);
    return BigInt(value).toString();
  }
  if (typeof value === "string") {
    if (/^\d+$/.test(value)) return value.length > 1 && value.startsWith("0") ? value.replace(/^0+(?=\d)/, "") : value;
    if (/^-\d+$/.test(value)) throw new FieldError(field, `expected nanoseconds since the Unix epoch, got a negative ${value}`);
    if (/^-?\d+\.\d*$|^-?\d*\.\d+$|e/i.test(value)) throw new FieldError(field, `expected whole nanoseconds as a decimal string, got ${shown(value)}`);
  }
  if (value === undefined || value === null) throw new FieldError(field, "expected nanoseconds since the Unix epoch, got nothing (the field is required)");
  throw new FieldError(field, `expected nanoseconds since the Unix epoch as a decimal string or number, got ${shown(value)}`);
}

/** An enum as its number or its proto name. */
function enumValue(value: unknown, names: readonly string[], field: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const found = names.indexOf(value);
    if (found >= 0) return found;
  }
  throw new FieldError(field, `expected one of ${names.join(", ")} or its number, got ${shown(value)}`);
}

function optionalString(value: unknown, field: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new FieldError(field, `expected a string, got ${describe(value)}`);
  return value;
}

/** A container of the request; its absence means empty, anything but an array is undecodable. */
function list(parent: Json, key: string, path: string): unknown[] {
  const value = parent[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${path}: expected an array, got ${describe(value)}.`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${shown(value)}`;
}
