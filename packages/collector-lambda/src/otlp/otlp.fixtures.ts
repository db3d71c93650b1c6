/**
 * Test fixtures for the OTLP decoders: valid OTLP JSON spans with fixed ids and times
 * (STYLE.md §8), and a minimal protobuf writer that turns the same JSON requests into protobuf
 * bytes, so that both decoders can be fed one logical request. Not part of the build.
 */

export const TRACE_ID = "5b8efff798038103d269b633813fc60c";
export const SPAN_ID = "eee19b7ec3c1b174";
export const PARENT_ID = "eee19b7ec3c1b173";
/** 2026-01-01T00:00:00Z in nanoseconds. */
export const T0 = "1767225600000000000";
export const T1 = "1767225600250000000";

export type JsonObject = Record<string, unknown>;

/** One valid OTLP JSON span; `overrides` replace fields (a value of `undefined` removes one). */
export function jsonSpan(overrides: JsonObject = {}): JsonObject {
  const span: JsonObject = {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    parentSpanId: PARENT_ID,
    name: "tool:web_search",
    kind: 1,
    startTimeUnixNano: T0,
    endTimeUnixNano: T1,
    attributes: [{ key: "gen_ai.tool.name", value: { stringValue: "web_search" } }],
    status: { code: 0 },
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete span[key];
  return span;
}

/** A request with one resource and one scope holding `spans`. */
export function jsonRequest(spans: unknown[], resourceAttributes: unknown[] = [{ key: "service.name", value: { stringValue: "research-agent" } }]): JsonObject {
  return {
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        scopeSpans: [{ scope: { name: "@tracewright/instrument", version: "0.1.0" }, spans }],
      },
    ],
  };
}

/** A span id of 16 hex digits derived from a small number. */
export function spanIdOf(n: number): string {
  return n.toString(16).padStart(16, "0");
}

// --- a minimal protobuf writer -----------------------------------------------------------------

export const pb = {
  varint(value: bigint | number): Buffer {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    return Buffer.from(bytes);
  },
  tag(field: number, wire: number): Buffer {
    return pb.varint(field * 8 + wire);
  },
  len(field: number, ...payload: Buffer[]): Buffer {
    const body = Buffer.concat(payload);
    return Buffer.concat([pb.tag(field, 2), pb.varint(body.length), body]);
  },
  string(field: number, text: string): Buffer {
    return pb.len(field, Buffer.from(text, "utf8"));
  },
  uint(field: number, value: bigint | number): Buffer {
    return Buffer.concat([pb.tag(field, 0), pb.varint(value)]);
  },
  fixed64(field: number, value: bigint | string): Buffer {
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(BigInt(value));
    return Buffer.concat([pb.tag(field, 1), out]);
  },
  fixed32(field: number, value: number): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(value);
    return Buffer.concat([pb.tag(field, 5), out]);
  },
  double(field: number, value: number): Buffer {
    const out = Buffer.alloc(8);
    out.writeDoubleLE(value);
    return Buffer.concat([pb.tag(field, 1), out]);
  },
};

const KINDS = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"];
const CODES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

/**
 * The protobuf encoding of an OTLP JSON request, field by field (opentelemetry-proto field
 * numbers). Values are encoded as given, so a malformed JSON field (a short id, a zero time)
 * becomes the same malformation on the wire.
 */
export function toProtobuf(request: JsonObject): Buffer {
  return Buffer.concat(((request.resourceSpans ?? []) as JsonObject[]).map((rs) => pb.len(1, resourceSpans(rs))));
}

function resourceSpans(rs: JsonObject): Buffer {
  const parts: Buffer[] = [];
  const resource = rs.resource as JsonObject | undefined;
  if (resource !== undefined) parts.push(pb.len(1, ...keyValues(1, resource.attributes)));
  for (const ss of (rs.scopeSpans ?? []) as JsonObject[]) {
    const inner: Buffer[] = [];
    const scope = ss.scope as JsonObject | undefined;
    if (scope !== undefined) {
      inner.push(pb.len(1, pb.string(1, String(scope.name ?? "")), ...(scope.version === undefined ? [] : [pb.string(2, String(scope.version))])));
    }
    for (const span of (ss.spans ?? []) as JsonObject[]) inner.push(pb.len(2, spanBytes(span)));
    parts.push(pb.len(2, ...inner));
  }
  return Buffer.concat(parts);
}

function spanBytes(span: JsonObject): Buffer {
  const parts: Buffer[] = [];
  if (span.traceId !== undefined) parts.push(pb.len(1, Buffer.from(String(span.traceId), "hex")));
  if (span.spanId !== undefined) parts.push(pb.len(2, Buffer.from(String(span.spanId), "hex")));
  if (span.parentSpanId !== undefined && span.parentSpanId !== "") parts.push(pb.len(4, Buffer.from(String(span.parentSpanId), "hex")));
  if (span.name !== undefined) parts.push(pb.string(5, String(span.name)));
  if (span.kind !== undefined) parts.push(pb.uint(6, enumNumber(span.kind, KINDS)));
  if (span.startTimeUnixNano !== undefined) parts.push(pb.fixed64(7, BigInt(span.startTimeUnixNano as string)));
  if (span.endTimeUnixNano !== undefined) parts.push(pb.fixed64(8, BigInt(span.endTimeUnixNano as string)));
  parts.push(...keyValues(9, span.attributes));
  for (const event of (span.events ?? []) as JsonObject[]) {
    parts.push(pb.len(11, ...(event.timeUnixNano === undefined ? [] : [pb.fixed64(1, BigInt(event.timeUnixNano as string))]), pb.string(2, String(event.name ?? "")), ...keyValues(3, event.attributes)));
  }
  for (const link of (span.links ?? []) as JsonObject[]) {
    parts.push(pb.len(13, pb.len(1, Buffer.from(String(link.traceId), "hex")), pb.len(2, Buffer.from(String(link.spanId), "hex")), ...keyValues(4, link.attributes)));
  }
  const status = span.status as JsonObject | undefined;
  if (status !== undefined) {
    parts.push(pb.len(15, ...(status.message === undefined ? [] : [pb.string(2, String(status.message))]), ...(status.code === undefined ? [] : [pb.uint(3, enumNumber(status.code, CODES))])));
  }
  return Buffer.concat(parts);
}

function keyValues(field: number, list: unknown): Buffer[] {
  return ((list ?? []) as JsonObject[]).map((kv) => pb.len(field, pb.string(1, String(kv.key)), ...(kv.value === undefined ? [] : [pb.len(2, anyValue(kv.value as JsonObject))])));
}

function anyValue(value: JsonObject): Buffer {
  if (value.stringValue !== undefined) return pb.string(1, String(value.stringValue));
  if (value.boolValue !== undefined) return pb.uint(2, value.boolValue === true ? 1 : 0);
  if (value.intValue !== undefined) return pb.uint(3, BigInt(value.intValue as string));
  if (value.doubleValue !== undefined) return pb.double(4, Number(value.doubleValue));
  if (value.arrayValue !== undefined) return pb.len(5, ...((value.arrayValue as JsonObject).values as JsonObject[]).map((v) => pb.len(1, anyValue(v))));
  if (value.kvlistValue !== undefined) return pb.len(6, ...keyValues(1, (value.kvlistValue as JsonObject).values));
  if (value.bytesValue !== undefined) return pb.len(7, Buffer.from(String(value.bytesValue), "base64"));
  return Buffer.alloc(0);
}

function enumNumber(value: unknown, names: string[]): number {
  return typeof value === "number" ? value : names.indexOf(String(value));
}
