/**
 * @tracewright/collector-lambda: the OTLP receiver and its sinks — the local OTLP/HTTP server,
 * the Lambda handlers (HTTP and SQS events), the JSON and protobuf decoders, and the sinks
 * (store, memory, X-Ray, CloudWatch Logs, LangSmith). The CDK construct lives in its own entry,
 * `@tracewright/collector-lambda/cdk`, so that this one never loads aws-cdk-lib.
 */
export { startCollector, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT } from "./server.js";
export type { CollectorHandle, CollectorOptions } from "./server.js";
export { createHttpHandler, createSqsHandler, httpHandler, sinksFromEnv, sqsHandler } from "./lambda.js";
export type { HttpEvent, HttpResult, LambdaHandlerOptions, SqsBatchResponse, SqsEvent, SqsRecord } from "./lambda.js";
export { decodeOtlpJson } from "./otlp/json.js";
export { decodeOtlpProtobuf } from "./otlp/protobuf.js";
export type { DecodedTraces, RejectedSpan } from "./otlp/common.js";
export { memorySink, stderrReporter, storeSink } from "./sink.js";
export type { MemorySink, RejectionReporter, Sink, SpanRejection, StoreSinkOptions } from "./sink.js";
export { DEFAULT_LAMBDA_SINKS, SINK_NAMES, createSinks, parseSinkNames } from "./sinks.js";
export type { SinkFactoryOptions, SinkName } from "./sinks.js";
export { xraySink } from "./xray/sink.js";
export type { XRaySinkOptions } from "./xray/sink.js";
export { DEFAULT_INDEXED_ATTRIBUTES, MAX_DOCUMENT_BYTES, fromSegmentDocument, otlpTraceId, toInProgressSegment, toSegmentDocument, xrayTraceId } from "./xray/segment.js";
export type { SegmentDocument, SegmentOptions } from "./xray/segment.js";
export { DAEMON_HEADER, MAX_DAEMON_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_CALL, daemonTransport, putTraceSegmentsTransport } from "./xray/transport.js";
export type { DaemonOptions, PutTraceSegmentsOptions, RefusedDocument, XRayTransport } from "./xray/transport.js";
export { cloudwatchSink } from "./cloudwatch/sink.js";
export type { CloudWatchSink, CloudWatchSinkOptions } from "./cloudwatch/sink.js";
export { fromLangSmithRun, langsmithSink, toLangSmithRun } from "./langsmith/sink.js";
export type { LangSmithRun, LangSmithSinkOptions } from "./langsmith/sink.js";
export type { RetryPolicy } from "@tracewright/instrument/shared";
export { CollectorConfigError, OtlpDecodeError, SinkError, TracewrightError } from "./errors.js";
