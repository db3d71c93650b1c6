/**
 * `@tracewright/instrument/shared`: small helpers the other Tracewright packages, the dashboard
 * and the scripts share with the instrumentation, so that each is written once. No dependencies
 * (neither OpenTelemetry nor Node.js APIs beyond timers), so that the dashboard's proxy and a
 * Lambda bundle can import it without the SDK.
 */
export { isLoopbackHost } from "./loopback.js";
export { backoffDelay, isRetryableAwsError, resolveRetryPolicy, sleep, withRetries } from "./retry.js";
export type { ResolvedRetryPolicy, RetryPolicy } from "./retry.js";
export { canonicalJson, sameJson, sortedJson } from "./same-json.js";
export { langchainSerialized } from "./lc-serialized.js";
