/**
 * @tracewright/collector-lambda: the OTLP receiver and its sinks. This release holds the local
 * OTLP/HTTP server, the JSON and protobuf decoders, and the store sink; the AWS sinks and the
 * Lambda handlers will join them here.
 */
export { startCollector, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT } from "./server.js";
export type { CollectorHandle, CollectorOptions } from "./server.js";
export { decodeOtlpJson } from "./otlp/json.js";
export { decodeOtlpProtobuf } from "./otlp/protobuf.js";
export type { DecodedTraces, RejectedSpan } from "./otlp/common.js";
export { memorySink, storeSink } from "./sink.js";
export type { MemorySink, Sink, StoreSinkOptions } from "./sink.js";
export { CollectorConfigError, OtlpDecodeError, SinkError, TracewrightError } from "./errors.js";
