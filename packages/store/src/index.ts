export { MIGRATION_WAIT_MS, openSqliteStore, resolveDbPath, searchText, SEARCH_TEXT_LIMIT, SqliteStore } from "./sqlite.js";
export type { SqliteStoreOptions } from "./sqlite.js";
export { buildSteps, loadRunDetail, MAX_SPAN_TOKENS, stateAttribute, stepKind, stepName, tokenCount } from "./steps.js";
export { StoreError, TracewrightError } from "./errors.js";
export type {
  AttributeValue,
  Attributes,
  IngestResult,
  LatencyStat,
  RunDetail,
  RunPage,
  RunQuery,
  RunSort,
  RunStats,
  RunStatus,
  RunSummary,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
  StatsBucket,
  StatsQuery,
  StatusCode,
  Step,
  StepError,
  TraceQueries,
  TraceStore,
} from "./types.js";
export {
  CloudWatchLogsStore,
  CloudWatchLogsWriter,
  DEFAULT_LOG_GROUP,
  DEFAULT_MAX_SPAN_HEADERS,
  INSIGHTS_MAX_ROWS,
  LOG_LIMITS,
  checkLogGroupName,
  decodeSpanEvents,
  encodePayloadEvents,
  encodeSpanEvents,
  openCloudWatchLogsStore,
  planBatches,
} from "./cloudwatch.js";
export type {
  CloudWatchLogsStoreOptions,
  CloudWatchLogsWriterOptions,
  EncodeOptions,
  IncompleteSpan,
  IndexedLogEvent,
  LogEvent,
  RejectedLogEvent,
  RetrySettings,
  SpanEventHeader,
  StreamMessage,
} from "./cloudwatch.js";
