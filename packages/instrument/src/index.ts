export { TracewrightError } from "./errors.js";
export { init, LAMBDA_FLUSH_MARGIN_MS, resolveEndpoint, resolveMaxInlineBytes, resolveProtocol, resolveSigV4, wrapLambdaHandler } from "./init.js";
export type { InitOptions, LambdaHandler, LambdaWrapperOptions, Tracing } from "./init.js";
export { ByteBoundedSpanProcessor, httpPayloadTransport, PayloadRefused } from "./export-queue.js";
export type { ExportQueueOptions, ExportStats, OtlpCompression, OtlpProtocol, PayloadTransport } from "./export-queue.js";
export { DEFAULT_MAX_INLINE_BYTES } from "./offload.js";
export { OtlpHttpExporter } from "./exporter.js";
export { functionUrlRegion, SignedOtlpExporter, sigV4Signer } from "./sigv4.js";
export type { AwsCredentials, RequestSigner, SigV4Options } from "./sigv4.js";
export { XRayIdGenerator } from "./xray-ids.js";
export { currentRunId, currentStepKey, describeError, llm, node, recordError, run, runWithResult, tool, withStep, withSyncStep } from "./steps.js";
export type { CarriedRun, LlmOptions, LlmRequest, RunContext, RunOptions, RunResult, StepCall, StepInterceptor, StepSpec, ToolOptions } from "./steps.js";
export { hashJson, stepInputHash } from "./hash.js";
export { redactText, revive, serialize, setRedaction } from "./serialize.js";
export { MASK } from "./redact.js";
export type { RedactionOptions } from "./redact.js";
export {
  carry,
  EVENTBRIDGE_FIELD,
  fromEventBridgeEvent,
  fromHttpHeaders,
  fromSqsMessage,
  mergeSqsAttributes,
  resume,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  sqsAttempt,
  toHttpHeaders,
  toSqsAttributes,
  toSqsSystemAttributes,
  traceparentToXray,
  withEventBridgeContext,
  xrayToTraceparent,
} from "./propagation.js";
export type { Carried, SqsMessageAttributes, SqsMessageLike } from "./propagation.js";
export { consume, publish } from "./messaging.js";
export { humanInput, isGraphBubbleUp, traceCheckpointer, traceNode } from "./langgraph.js";
export type { CheckpointReader } from "./langgraph.js";
export { loadState, saveState } from "./state.js";
export { BEDROCK_PROVIDER, tracedBedrock } from "./bedrock.js";
export { llmStream } from "./stream.js";
export type { LlmStreamOptions, RecordedEvents } from "./stream.js";
export type { BedrockClientLike, ConverseInputLike, ConverseStreamLike, RecordedStream, TracedBedrock } from "./bedrock.js";
export type { Delivery, MessageTarget, Published } from "./messaging.js";
export {
  Exception,
  GenAI,
  isRunStart,
  MAX_ANCESTRY,
  Messaging,
  MIME_JSON,
  OpenInference,
  OpenInferenceKind,
  Operation,
  parseStepAncestry,
  PayloadMarker,
  Resource,
  RunStart,
  StepKind,
  stepKeyName,
  stepKeyParts,
  stepKeySegment,
  stepOrder,
  Tracewright,
} from "./conventions.js";
export type { Ancestor } from "./conventions.js";
