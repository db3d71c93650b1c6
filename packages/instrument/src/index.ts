export { TracewrightError } from "./errors.js";
export { init } from "./init.js";
export type { InitOptions, Tracing } from "./init.js";
export { XRayIdGenerator } from "./xray-ids.js";
export { currentRunId, llm, node, recordError, run, runWithResult, tool, withStep, withSyncStep } from "./steps.js";
export type { LlmOptions, LlmRequest, RunContext, RunOptions, RunResult, StepCall, StepInterceptor, StepSpec, ToolOptions } from "./steps.js";
export { hashJson, revive, serialize } from "./serialize.js";
export {
  Exception,
  GenAI,
  MIME_JSON,
  OpenInference,
  OpenInferenceKind,
  Operation,
  Resource,
  StepKind,
  Tracewright,
} from "./conventions.js";
