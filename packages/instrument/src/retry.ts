/**
 * Retries with capped exponential backoff and full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter"): retry n (0 for the first) waits a uniform random time in
 * [0, min(maxDelayMs, baseDelayMs·2ⁿ)]. The one backoff of the repository: the export queue's
 * batch and payload retries, every AWS sink of the collector, and the store's CloudWatch Logs
 * reader and writer use it, so that a throttle, a 5xx answer or a collector that is down is
 * waited out the same way everywhere. Full jitter rather than a band around the doubling: of
 * the schedules that post compares it does the least total work when many clients retry at once
 * (many agent processes against one restarting collector, many Lambdas against one throttled
 * API), at the price of sometimes retrying almost at once, which the doubling cap then absorbs.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. Default: 6. */
  attempts?: number;
  /** The backoff's base. Default: 100 ms. */
  baseDelayMs?: number;
  /** The cap of one wait. Default: 5,000 ms. */
  maxDelayMs?: number;
  /** The jitter's source, in [0, 1). Default: Math.random (tests pass a fixed one). */
  random?: () => number;
}

export interface ResolvedRetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
}

/** The policy with its defaults; attempts at least 1, delays at least 0. */
export function resolveRetryPolicy(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  return {
    attempts: Math.max(1, policy.attempts ?? 6),
    baseDelayMs: Math.max(0, policy.baseDelayMs ?? 100),
    maxDelayMs: Math.max(0, policy.maxDelayMs ?? 5_000),
    random: policy.random ?? Math.random,
  };
}

/** The wait before retry number `retry` (0 for the first retry), in whole milliseconds. */
export function backoffDelay(policy: Pick<ResolvedRetryPolicy, "baseDelayMs" | "maxDelayMs" | "random">, retry: number): number {
  return Math.floor(policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` until it succeeds, fails with an error `retryable` says is final, or the
 * attempts run out; then rethrows the last error.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, retryable: (error: unknown) => boolean, policy: ResolvedRetryPolicy): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= policy.attempts || !retryable(error)) throw error;
      await sleep(backoffDelay(policy, attempt));
    }
  }
}

/** Error names of AWS services' throttling and transient server faults. */
const TRANSIENT_AWS_ERRORS = new Set([
  "ThrottledException",
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
  "SlowDown",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServerError",
  "InternalServerException",
  "InternalFailure",
]);

/**
 * Whether an AWS SDK v3 error is worth retrying: throttling, 5xx, timeouts and broken
 * connections are; other client faults (validation, missing resource, access denied) are not.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return true;
  const e = error as { name?: string; $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable !== undefined) return true;
  if (e.name !== undefined && TRANSIENT_AWS_ERRORS.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (e.$fault === "client") return false;
  // A server fault, or no service answer at all: a timeout, a reset or refused connection, an aborted request.
  return true;
}

/**
 * A `Retry-After` header in ms: delay-seconds or an HTTP date; undefined when absent or
 * unreadable. What the signed span export and the payload transport read off a 429 or 503.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  const text = header?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
