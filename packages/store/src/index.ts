export { openSqliteStore, resolveDbPath, SqliteStore } from "./sqlite.js";
export type { SqliteStoreOptions } from "./sqlite.js";
export { buildSteps, loadRunDetail, stepKind } from "./steps.js";
export { StoreError, TracewrightError } from "./errors.js";
export type {
  AttributeValue,
  Attributes,
  IngestResult,
  RunDetail,
  RunPage,
  RunQuery,
  RunStatus,
  RunSummary,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
  StatusCode,
  Step,
  StepError,
  TraceStore,
} from "./types.js";
