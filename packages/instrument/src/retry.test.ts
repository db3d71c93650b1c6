import { describe, expect, it } from "vitest";
import { backoffDelay, isRetryableAwsError, resolveRetryPolicy, withRetries } from "./retry.js";

describe("backoffDelay", () => {
  it("draws from [0, min(max, base·2ⁿ)]: full jitter, capped", () => {
    const policy = (random: number) => resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => random });
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(policy(0.999_999), n))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(policy(0.5), 2)).toBe(200);
    expect(backoffDelay(policy(0), 5)).toBe(0);
  });
});

describe("withRetries", () => {
  it("retries what is retryable until the attempts run out, and rethrows the last error", async () => {
    let calls = 0;
    const failing = withRetries(async (attempt) => { calls++; throw new Error(`attempt ${attempt}`); }, () => true, resolveRetryPolicy({ attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }));
    await expect(failing).rejects.toThrow("attempt 2");
    expect(calls).toBe(3);
  });

  it("stops at an error that is final, and returns a later success", async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error("final"); }, () => false, resolveRetryPolicy({ attempts: 5 }))).rejects.toThrow("final");
    expect(calls).toBe(1);
    await expect(withRetries(async (attempt) => { if (attempt < 2) throw new Error("again"); return attempt; }, () => true, resolveRetryPolicy({ baseDelayMs: 1, maxDelayMs: 1 }))).resolves.toBe(2);
  });
});

describe("isRetryableAwsError", () => {
  it.each([
    [{ name: "ThrottlingException", $fault: "client" }, true],
    [{ name: "ServiceUnavailableException", $fault: "client" }, true],
    [{ name: "ValidationException", $fault: "client", $metadata: { httpStatusCode: 400 } }, false],
    [{ name: "ResourceNotFoundException", $fault: "client" }, false],
    [{ name: "Whatever", $fault: "client", $metadata: { httpStatusCode: 429 } }, true],
    [{ name: "Whatever", $metadata: { httpStatusCode: 503 } }, true],
    [{ name: "Whatever", $fault: "client", $retryable: {} }, true],
    [{ name: "InternalFailure", $fault: "server" }, true],
    [Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true],
    ["a string", true],
  ])("%o → %s", (error, retryable) => {
    expect(isRetryableAwsError(error)).toBe(retryable);
  });
});
