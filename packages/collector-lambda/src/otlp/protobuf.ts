/**
 * A hand-written decoder of protobuf `ExportTraceServiceRequest` bodies
 * (opentelemetry-proto: collector/trace/v1, trace/v1, common/v1, resource/v1).
 *
 * It walks the buffer once with a cursor, never copies sub-messages, and builds only the
 * `SpanRecord`s themselves. Fields it does not need (trace state, flags, dropped counts, schema
 * URLs, scope attributes, entity refs) and unknown fields are skipped by wire type. Framing
 * errors outside a span (a length running past the end of the body, a bad wire type) make the
 * whole body undecodable: {@link OtlpDecodeError} with the byte offset. Inside a span they reject
 * that span alone, as the JSON decoder does for a malformed field.
 */
import type { AttributeValue, Attributes, SpanEventRecord, SpanLinkRecord, SpanRecord, StatusCode } from "@tracewright/store";
import { OtlpDecodeError } from "../errors.js";
import type { DecodedTraces, RejectedSpan } from "./common.js";
import {
  FieldError,
  MAX_VALUE_DEPTH,
  checkEndAfterStart,
  checkKind,
  checkNonZeroId,
  checkStatusCode,
  checkTime,
  doubleValue,
  int64Value,
  setAttribute,
  spanRecord,
  within,
} from "./common.js";

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;
const WIRE_NAMES = ["varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32"];

/** Protobuf framing is broken at `offset`; becomes a FieldError inside a span, else an OtlpDecodeError. */
class WireError extends FieldError {
  readonly offset: number;

  constructor(problem: string, offset: number) {
    super("", problem);
    this.offset = offset;
  }
}

/** The cursor: a position in one buffer. Every read is bounded by the end of its enclosing message. */
interface Cursor {
  readonly buf: Buffer;
  pos: number;
}

/**
 * Builds the span attribute maps of one request. Spans of one request mostly carry the
 * same keys in the same order; the first map of a key sequence becomes the template, and a later
 * map of the same sequence is a copy of it (`{ ...template }`, which takes the template's hidden
 * class at once) with its own values put in. The decoder also compares a key's (and a string
 * value's) bytes with the template's at the same position and takes the template's string when
 * they are equal, instead of decoding a new one: most strings of a span's attributes are then
 * never decoded. Protobuf decode of 5,000 small spans: 62-68 ms → 47-55 ms.
 *
 * One per decode call (nothing is kept between requests), for span attributes only: nested maps
 * (`kvlistValue`) and event, link and resource attributes use {@link setAttribute} directly, so
 * a map being built is never interrupted by another. Call {@link start}, {@link add} each
 * key-value in order, then {@link finish}; a later duplicate key wins, as with `setAttribute`.
 * (The JSON decoder gets its keys as strings from `JSON.parse`; built this way its maps measured
 * no faster, so it adds keys one by one.)
 */
class AttributeMaps {
  private readonly keys: string[] = [];
  private readonly values: AttributeValue[] = [];
  private template: Attributes | undefined;
  private templateKeys: readonly string[] = [];
  private templateValues: readonly AttributeValue[] = [];

  start(): void {
    this.keys.length = 0;
    this.values.length = 0;
  }

  add(key: string, value: AttributeValue): void {
    this.keys.push(key);
    this.values.push(value);
  }

  /** The key the template has at position `index`, if any: the key the next `add` most likely brings. */
  expectedKey(index: number): string | undefined {
    return this.templateKeys[index];
  }

  /** The template's value at position `index` when it is a string (a run id, a tool name, a MIME type often repeat). */
  expectedString(index: number): string | undefined {
    const value = this.templateValues[index];
    return typeof value === "string" ? value : undefined;
  }

  finish(): Attributes {
    const { keys, values, templateKeys } = this;
    let same = this.template !== undefined && keys.length === templateKeys.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === templateKeys[i];
    if (same) {
      const out: Attributes = { ...this.template };
      for (let i = 0; i < templateKeys.length; i++) setAttribute(out, templateKeys[i] as string, values[i] as AttributeValue);
      return out;
    }
    const out: Attributes = {};
    for (let i = 0; i < keys.length; i++) setAttribute(out, keys[i] as string, values[i] as AttributeValue);
    this.template = out;
    this.templateKeys = keys.slice();
    this.templateValues = values.slice();
    return out;
  }
}

/**
 * Decodes a protobuf body. Malformed spans are rejected one by one (with the field at fault);
 * a body whose framing is broken outside any span throws {@link OtlpDecodeError} with `offset`.
 */
export function decodeOtlpProtobuf(body: Uint8Array): DecodedTraces {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const c: Cursor = { buf, pos: 0 };
  const out: Output = { spans: [], rejected: [], index: 0, maps: new AttributeMaps() };
  let r = 0;
  try {
    while (c.pos < buf.length) {
      const tag = readTag(c, buf.length);
      if (tag >>> 3 === 1 && (tag & 7) === LEN) {
        try {
          const end = readLength(c, buf.length);
          decodeResourceSpans(c, end, `resourceSpans[${r}]`, out);
        } catch (error) {
          within(`resourceSpans[${r}]`, error);
        }
        r++;
      } else {
        skipField(c, buf.length, tag);
      }
    }
  } catch (error) {
    // Only framing errors reach here (field errors are caught per span, resource or scope).
    if (error instanceof FieldError) {
      const offset = error instanceof WireError ? error.offset : c.pos;
      const where = error.field === "" ? "" : ` in ${error.field}`;
      throw new OtlpDecodeError(`The protobuf body is malformed at byte ${offset}${where}: ${error.problem}. Send an OTLP ExportTraceServiceRequest, or use Content-Type: application/json for JSON.`, { offset, cause: error });
    }
    throw error;
  }
  return { spans: out.spans, rejected: out.rejected };
}

/**
 * The shape shared by `ResourceSpans` and `ScopeSpans`: field 1 a header message (the resource,
 * the scope), field 2 a repeated message (scope spans, spans), in any order. Finds where they
 * are (start, end pairs), skipping other fields, and leaves the cursor at `end`.
 */
function scanHeaderAndItems(c: Cursor, end: number): { header: [number, number] | undefined; items: number[] } {
  let header: [number, number] | undefined;
  const items: number[] = [];
  while (c.pos < end) {
    const tag = readTag(c, end);
    const field = tag >>> 3;
    if ((field === 1 || field === 2) && (tag & 7) === LEN) {
      const length = readLength(c, end);
      if (field === 1) header = [c.pos, length];
      else items.push(c.pos, length);
      c.pos = length;
    } else {
      skipField(c, end, tag);
    }
  }
  return { header, items };
}

/** Decodes the header `scanHeaderAndItems` found (`absent` when there is none), or answers the field error that then rejects every span under it. */
function decodeHeader<T>(c: Cursor, header: [number, number] | undefined, decode: (c: Cursor, end: number) => T, absent: T, path: string): T | FieldError {
  if (header === undefined) return absent;
  c.pos = header[0];
  try {
    return decode(c, header[1]);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    return error.at(path);
  }
}

/** What decoding a body collects, and the attribute maps builder of this body's spans. */
interface Output {
  spans: SpanRecord[];
  rejected: RejectedSpan[];
  /** Position of the next span among all spans of the request. */
  index: number;
  maps: AttributeMaps;
}

function decodeResourceSpans(c: Cursor, end: number, path: string, out: Output): void {
  // Fields may come in any order: find the resource and the scope spans first.
  const { header, items: scopes } = scanHeaderAndItems(c, end);
  const resource = decodeHeader<Attributes>(c, header, decodeResource, {}, `${path}.resource`);

  for (let s = 0; s * 2 < scopes.length; s++) {
    c.pos = scopes[s * 2] as number;
    const scopeEnd = scopes[s * 2 + 1] as number;
    try {
      decodeScopeSpans(c, scopeEnd, `${path}.scopeSpans[${s}]`, resource, out);
    } catch (error) {
      within(`scopeSpans[${s}]`, error);
    }
  }
  c.pos = end;
}

function decodeScopeSpans(c: Cursor, end: number, path: string, resource: Attributes | FieldError, out: Output): void {
  const { header, items: spans } = scanHeaderAndItems(c, end);
  const scope = decodeHeader<SpanRecord["scope"]>(c, header, decodeScope, undefined, `${path}.scope`);

  const shared = resource instanceof FieldError ? resource : scope instanceof FieldError ? scope : undefined;
  for (let i = 0; i * 2 < spans.length; i++, out.index++) {
    if (shared !== undefined) {
      out.rejected.push({ index: out.index, reason: shared.reason() });
      continue;
    }
    c.pos = spans[i * 2] as number;
    try {
      out.spans.push(decodeSpan(c, spans[i * 2 + 1] as number, resource as Attributes, scope as SpanRecord["scope"], out.maps));
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      const reason = error.at(`${path}.spans[${i}]`).reason();
      out.rejected.push({ index: out.index, reason: error instanceof WireError ? `${reason} (at byte ${error.offset})` : reason });
    }
  }
  c.pos = end;
}

function decodeResource(c: Cursor, end: number): Attributes {
  const attributes: Attributes = {};
  let n = 0;
  while (c.pos < end) {
    const tag = readTag(c, end);
    if (tag >>> 3 === 1) keyValueInto(c, end, tag, attributes, "attributes", n++, 0);
    else skipField(c, end, tag);
  }
  return attributes;
}

function decodeScope(c: Cursor, end: number): SpanRecord["scope"] {
  let name = "";
  let version = "";
  while (c.pos < end) {
    const tag = readTag(c, end);
    const field = tag >>> 3;
    if (field === 1) name = readString(c, end, tag, "name");
    else if (field === 2) version = readString(c, end, tag, "version");
    else skipField(c, end, tag);
  }
  return version === "" ? { name } : { name, version };
}

function decodeSpan(c: Cursor, end: number, resource: Attributes, scope: SpanRecord["scope"], maps: AttributeMaps): SpanRecord {
  let traceId = "";
  let spanId = "";
  let parentSpanId = "";
  let name = "";
  let kind = 0;
  let start = "0";
  let finish = "0";
  let status: SpanRecord["status"] = { code: 0 };
  maps.start();
  let attributeCount = 0;
  const events: SpanEventRecord[] = [];
  const links: SpanLinkRecord[] = [];
  while (c.pos < end) {
    const tag = readTag(c, end);
    switch (tag >>> 3) {
      case 1:
        traceId = readId(c, end, tag, 16, "traceId");
        break;
      case 2:
        spanId = readId(c, end, tag, 8, "spanId");
        break;
      case 4:
        parentSpanId = readId(c, end, tag, 8, "parentSpanId", true);
        break;
      case 5:
        name = readString(c, end, tag, "name");
        break;
      case 6:
        expectWire(c, tag, VARINT, "kind");
        kind = checkKind(readEnum(c, end));
        break;
      case 7:
        start = readNanos(c, end, tag, "startTimeUnixNano");
        break;
      case 8:
        finish = readNanos(c, end, tag, "endTimeUnixNano");
        break;
      case 9:
        keyValueInto(c, end, tag, maps, "attributes", attributeCount++, 0);
        break;
      case 11: {
        const i = events.length;
        try {
          events.push(decodeEvent(c, messageEnd(c, end, tag, "")));
        } catch (error) {
          within(`events[${i}]`, error);
        }
        break;
      }
      case 13: {
        const i = links.length;
        try {
          links.push(decodeLink(c, messageEnd(c, end, tag, "")));
        } catch (error) {
          within(`links[${i}]`, error);
        }
        break;
      }
      case 15:
        try {
          status = decodeStatus(c, messageEnd(c, end, tag, ""));
        } catch (error) {
          within("status", error);
        }
        break;
      default:
        skipField(c, end, tag);
    }
  }
  if (traceId === "") throw new FieldError("traceId", "expected 16 bytes, got nothing (the field is required)");
  if (spanId === "") throw new FieldError("spanId", "expected 8 bytes, got nothing (the field is required)");
  checkNonZeroId("traceId", traceId);
  checkNonZeroId("spanId", spanId);
  checkTime("startTimeUnixNano", start);
  checkTime("endTimeUnixNano", finish);
  checkEndAfterStart(start, finish);

  return spanRecord(traceId, spanId, parentSpanId === "" ? undefined : parentSpanId, name, kind, start, finish, status, maps.finish(), events, links, resource, scope);
}

function decodeEvent(c: Cursor, end: number): SpanEventRecord {
  let time = "0";
  let name = "";
  const attributes: Attributes = {};
  let n = 0;
  while (c.pos < end) {
    const tag = readTag(c, end);
    switch (tag >>> 3) {
      case 1:
        time = readNanos(c, end, tag, "timeUnixNano");
        break;
      case 2:
        name = readString(c, end, tag, "name");
        break;
      case 3:
        keyValueInto(c, end, tag, attributes, "attributes", n++, 0);
        break;
      default:
        skipField(c, end, tag);
    }
  }
  return { name, timeUnixNano: checkTime("timeUnixNano", time), attributes };
}

function decodeLink(c: Cursor, end: number): SpanLinkRecord {
  let traceId = "";
  let spanId = "";
  const attributes: Attributes = {};
  let n = 0;
  while (c.pos < end) {
    const tag = readTag(c, end);
    switch (tag >>> 3) {
      case 1:
        traceId = readId(c, end, tag, 16, "traceId");
        break;
      case 2:
        spanId = readId(c, end, tag, 8, "spanId");
        break;
      case 4:
        keyValueInto(c, end, tag, attributes, "attributes", n++, 0);
        break;
      default:
        skipField(c, end, tag);
    }
  }
  if (traceId === "") throw new FieldError("traceId", "expected 16 bytes, got nothing (the field is required)");
  if (spanId === "") throw new FieldError("spanId", "expected 8 bytes, got nothing (the field is required)");
  return { traceId: checkNonZeroId("traceId", traceId), spanId: checkNonZeroId("spanId", spanId), attributes };
}

function decodeStatus(c: Cursor, end: number): SpanRecord["status"] {
  let message = "";
  let code: StatusCode = 0;
  while (c.pos < end) {
    const tag = readTag(c, end);
    const field = tag >>> 3;
    if (field === 2) message = readString(c, end, tag, "message");
    else if (field === 3) {
      expectWire(c, tag, VARINT, "code");
      try {
        code = checkStatusCode(readEnum(c, end));
      } catch (error) {
        // checkStatusCode names the field "status.code"; the caller adds "status".
        if (error instanceof FieldError && !(error instanceof WireError)) throw new FieldError("code", error.problem);
        throw error;
      }
    } else skipField(c, end, tag); // 1: deprecated_code
  }
  return message === "" ? { code } : { code, message };
}

/** One `KeyValue` (its tag already read) into `target`; a later duplicate key wins. */
function keyValueInto(c: Cursor, end: number, tag: number, target: Attributes | AttributeMaps, field: string, index: number, depth: number): void {
  try {
    const kvEnd = messageEnd(c, end, tag, "");
    let key = "";
    let value: AttributeValue = null;
    while (c.pos < kvEnd) {
      const t = readTag(c, kvEnd);
      const field = t >>> 3;
      // Span attributes: most keys (and many string values) are the template's at the same position, taken without decoding a new string.
      if (field === 1) key = readString(c, kvEnd, t, "key", target instanceof AttributeMaps ? target.expectedKey(index) : undefined);
      else if (field === 2) {
        const valueEnd = messageEnd(c, kvEnd, t, "value");
        try {
          value = anyValue(c, valueEnd, depth, target instanceof AttributeMaps ? target.expectedString(index) : undefined);
        } catch (error) {
          within("value", error);
        }
      } else skipField(c, kvEnd, t);
    }
    if (target instanceof AttributeMaps) target.add(key, value);
    else setAttribute(target, key, value);
  } catch (error) {
    within(`${field}[${index}]`, error);
  }
}

/** An `AnyValue` spanning [c.pos, end); the last member of the oneof present wins; empty is null. A `stringValue` of the bytes of `expected` is `expected`. */
function anyValue(c: Cursor, end: number, depth: number, expected?: string): AttributeValue {
  if (depth >= MAX_VALUE_DEPTH) throw new FieldError("", `values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: AttributeValue = null;
  while (c.pos < end) {
    const tag = readTag(c, end);
    switch (tag >>> 3) {
      case 1:
        value = readString(c, end, tag, "stringValue", expected);
        break;
      case 2:
        expectWire(c, tag, VARINT, "boolValue");
        value = readVarint(c, end) !== 0;
        break;
      case 3:
        expectWire(c, tag, VARINT, "intValue");
        value = int64Value(BigInt.asIntN(64, readVarintBig(c, end)));
        break;
      case 4:
        expectWire(c, tag, I64, "doubleValue");
        need(c, end, 8);
        value = doubleValue(c.buf.readDoubleLE(c.pos));
        c.pos += 8;
        break;
      case 5: {
        const arrayEnd = messageEnd(c, end, tag, "arrayValue");
        const items: AttributeValue[] = [];
        while (c.pos < arrayEnd) {
          const t = readTag(c, arrayEnd);
          if (t >>> 3 === 1) {
            const i = items.length;
            try {
              items.push(anyValue(c, messageEnd(c, arrayEnd, t, ""), depth + 1));
            } catch (error) {
              within(`arrayValue.values[${i}]`, error);
            }
          } else skipField(c, arrayEnd, t);
        }
        value = items;
        break;
      }
      case 6: {
        const listEnd = messageEnd(c, end, tag, "kvlistValue");
        const map: Attributes = {};
        let n = 0;
        while (c.pos < listEnd) {
          const t = readTag(c, listEnd);
          if (t >>> 3 === 1) keyValueInto(c, listEnd, t, map, "kvlistValue.values", n++, depth + 1);
          else skipField(c, listEnd, t);
        }
        value = map;
        break;
      }
      case 7: {
        expectWire(c, tag, LEN, "bytesValue");
        const bytesEnd = readLength(c, end);
        value = c.buf.toString("base64", c.pos, bytesEnd);
        c.pos = bytesEnd;
        break;
      }
      default:
        skipField(c, end, tag);
    }
  }
  return value;
}

// --- wire-level reads ------------------------------------------------------------------------

function expectWire(c: Cursor, tag: number, wire: number, field: string): void {
  if ((tag & 7) !== wire) {
    throw new FieldError(field, `expected wire type ${wire} (${WIRE_NAMES[wire]}), got ${tag & 7} (${WIRE_NAMES[tag & 7] ?? "invalid"}) at byte ${c.pos}`);
  }
}

function need(c: Cursor, end: number, bytes: number): void {
  if (c.pos + bytes > end) throw new WireError(truncation(c.pos, bytes, end, c.buf.length), c.pos);
}

function truncation(pos: number, bytes: number, end: number, total: number): string {
  return end === total
    ? `truncated: a field needs ${bytes} bytes but the body ends ${total - pos} bytes later`
    : `a field of ${bytes} bytes runs ${pos + bytes - end} bytes past the end of its enclosing message`;
}

function readTag(c: Cursor, end: number): number {
  const at = c.pos;
  const tag = readVarint(c, end);
  if (tag > 0xffffffff || Math.floor(tag / 8) === 0) throw new WireError(`invalid field tag ${tag} (field number 0 or beyond 2^29)`, at);
  const wire = tag & 7;
  if (wire > I32) throw new WireError(`invalid wire type ${wire} for field ${tag >>> 3}`, at);
  return tag;
}

/** A length prefix; returns the absolute end of the field, checked against `end`. */
function readLength(c: Cursor, end: number): number {
  const at = c.pos;
  const length = readVarint(c, end);
  if (c.pos + length > end) throw new WireError(truncation(c.pos, length, end, c.buf.length), at);
  return c.pos + length;
}

/** The end of a length-delimited sub-message whose tag was just read. */
function messageEnd(c: Cursor, end: number, tag: number, field: string): number {
  expectWire(c, tag, LEN, field);
  return readLength(c, end);
}

/** A varint as a number: exact below 2^53, approximate above (used where such values are invalid anyway). */
function readVarint(c: Cursor, end: number): number {
  const buf = c.buf;
  let pos = c.pos;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new WireError(end === buf.length ? "truncated: the body ends inside a varint" : "a varint runs past the end of its enclosing message", c.pos);
    const byte = buf[pos++] as number;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      c.pos = pos;
      return result;
    }
    scale *= 128;
  }
  throw new WireError("a varint is longer than 10 bytes", c.pos);
}

/** A varint as an exact unsigned 64-bit BigInt (bits above 64 dropped, as protobuf does). */
function readVarintBig(c: Cursor, end: number): bigint {
  const from = c.pos;
  const fast = readVarint(c, end);
  if (c.pos - from <= 7) return BigInt(fast); // < 2^49: exact as a number
  let result = 0n;
  for (let i = from, shift = 0n; i < c.pos; i++, shift += 7n) result |= BigInt((c.buf[i] as number) & 0x7f) << shift;
  return BigInt.asUintN(64, result);
}

/** An enum: an int32 on the wire, negatives sign-extended to 10-byte varints. */
function readEnum(c: Cursor, end: number): number {
  const from = c.pos;
  const value = readVarint(c, end);
  if (value <= 0x7fffffff) return value;
  c.pos = from;
  return Number(BigInt.asIntN(32, readVarintBig(c, end)));
}

/** A string field; `expected` when its bytes are that (ASCII) string: no new string is decoded then. */
function readString(c: Cursor, end: number, tag: number, field: string, expected?: string): string {
  expectWire(c, tag, LEN, field);
  const stringEnd = readLength(c, end);
  const text = expected !== undefined && isAsciiOf(c.buf, c.pos, stringEnd, expected) ? expected : c.buf.toString("utf8", c.pos, stringEnd);
  c.pos = stringEnd;
  return text;
}

/** Whether bytes [from, to) are the UTF-8 of `text`, when all of them are ASCII (one byte one character). */
function isAsciiOf(buf: Buffer, from: number, to: number, text: string): boolean {
  if (to - from !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    const byte = buf[from + i] as number;
    if (byte >= 0x80 || byte !== text.charCodeAt(i)) return false;
  }
  return true;
}

/** A trace or span id: exactly `bytes` bytes, as lower-case hex. Empty is "none" where `optional`. */
function readId(c: Cursor, end: number, tag: number, bytes: 8 | 16, field: string, optional = false): string {
  expectWire(c, tag, LEN, field);
  const idEnd = readLength(c, end);
  const length = idEnd - c.pos;
  if (length !== bytes && !(optional && length === 0)) {
    throw new FieldError(field, `expected ${bytes} bytes, got ${length}${length > 0 && length <= 32 ? ` (${c.buf.toString("hex", c.pos, idEnd)})` : ""}`);
  }
  const hex = c.buf.toString("hex", c.pos, idEnd);
  c.pos = idEnd;
  return hex;
}

/** A fixed64 nanosecond time as an exact decimal string. */
function readNanos(c: Cursor, end: number, tag: number, field: string): string {
  expectWire(c, tag, I64, field);
  need(c, end, 8);
  const low = c.buf.readUInt32LE(c.pos);
  const high = c.buf.readUInt32LE(c.pos + 4);
  c.pos += 8;
  // Below 2^53 a number holds it exactly; above, BigInt.
  return high < 0x200000 ? String(high * 0x100000000 + low) : ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** Skips one field of a tag this decoder does not read; groups nest at most {@link MAX_VALUE_DEPTH} deep (`depth`: the groups open around it). */
function skipField(c: Cursor, end: number, tag: number, depth = 0): void {
  switch (tag & 7) {
    case VARINT:
      readVarint(c, end);
      return;
    case I64:
      need(c, end, 8);
      c.pos += 8;
      return;
    case LEN:
      c.pos = readLength(c, end);
      return;
    case I32:
      need(c, end, 4);
      c.pos += 4;
      return;
    case SGROUP: {
      // Deprecated groups: skip nested fields up to the matching end-group tag. A body of nested
      // start-group tags (ten thousand 0x0b bytes) would otherwise recurse until the stack overflows.
      const field = tag >>> 3;
      if (depth >= MAX_VALUE_DEPTH) throw new WireError(`groups nested deeper than ${MAX_VALUE_DEPTH} levels`, c.pos);
      for (;;) {
        const inner = readTag(c, end);
        if ((inner & 7) === EGROUP) {
          if (inner >>> 3 !== field) throw new WireError(`an end-group tag of field ${inner >>> 3} closes a group of field ${field}`, c.pos);
          return;
        }
        skipField(c, end, inner, depth + 1);
      }
    }
    default:
      throw new WireError(`unexpected end-group tag for field ${tag >>> 3}`, c.pos);
  }
}
