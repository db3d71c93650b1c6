/**
 * The collector's answers in the request's own encoding: `ExportTraceServiceResponse` for
 * success, `google.rpc.Status` for failures (as the OTLP/HTTP spec asks of 4xx and 5xx bodies).
 */

export type OtlpFormat = "json" | "protobuf";

export const CONTENT_TYPE: Record<OtlpFormat, string> = {
  json: "application/json",
  protobuf: "application/x-protobuf",
};

/** google.rpc.Code values used by the collector. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * `ExportTraceServiceResponse`: empty on full success, else `partialSuccess` with the number of
 * rejected spans and why. In JSON, `rejectedSpans` is an int64 and so a decimal string, per the
 * protobuf JSON mapping that OTLP follows.
 */
export function exportResponse(format: OtlpFormat, rejectedSpans: number, errorMessage: string): Buffer {
  if (format === "json") {
    return Buffer.from(JSON.stringify(rejectedSpans === 0 ? {} : { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } }));
  }
  if (rejectedSpans === 0) return Buffer.alloc(0);
  // ExportTraceServiceResponse { 1: ExportTracePartialSuccess { 1: int64 rejected_spans, 2: string error_message } }
  const partial = concat([tag(1, 0), varint(rejectedSpans), ...stringField(2, errorMessage)]);
  return concat([tag(1, 2), varint(partial.length), partial]);
}

/** `google.rpc.Status { 1: int32 code, 2: string message }`. */
export function statusResponse(format: OtlpFormat, code: number, message: string): Buffer {
  if (format === "json") return Buffer.from(JSON.stringify({ code, message }));
  return concat([tag(1, 0), varint(code), ...stringField(2, message)]);
}

function stringField(field: number, text: string): Buffer[] {
  if (text === "") return [];
  const bytes = Buffer.from(text, "utf8");
  return [tag(field, 2), varint(bytes.length), bytes];
}

function tag(field: number, wire: number): Buffer {
  return varint(field * 8 + wire);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function concat(parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}
