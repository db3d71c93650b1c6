import { setTimeout as sleep } from "node:timers/promises";
import { llm, llmStream, tool } from "@tracewright/instrument";
import { ToolTimeoutError } from "./errors.js";
import type { ChatModel, ConverseRequest, ConverseResponse, ConverseStreamEvent } from "./model/types.js";
import type { ToolCallOptions } from "./tools/toolbox.js";

/**
 * How the reference agents call models and tools: each call is one recorded step, made the way
 * production agent code makes it (retries on throttling, a deadline on every tool call).
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The wait before the second attempt; it doubles for each attempt after. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 50 };

/**
 * One model call, as an `llm` step named `name`. A throttled call is retried after an
 * exponential backoff without jitter (jitter would make two runs differ); every attempt is its
 * own step, so a recording shows the throttled attempts and replay serves them in order.
 */
export function callModel(model: ChatModel, name: string, request: ConverseRequest, retry: RetryPolicy = DEFAULT_RETRY): Promise<ConverseResponse> {
  return retried(retry, () => llm(request, (req) => model.converse(req), { name, provider: model.provider }));
}

/**
 * One model call whose answer is read as a stream (`llmStream`: the step records every event),
 * put back together into the response {@link callModel} returns; retried as that is. A model
 * that cannot stream is asked with `converse`, through {@link callModel}.
 */
export function streamModel(model: ChatModel, name: string, request: ConverseRequest, retry: RetryPolicy = DEFAULT_RETRY): Promise<ConverseResponse> {
  const converseStream = model.converseStream?.bind(model);
  if (converseStream === undefined) return callModel(model, name, request, retry);
  return retried(retry, async () => {
    const stream = await llmStream(request, (req) => converseStream(req), { name, provider: model.provider });
    let text = "";
    let stopReason: ConverseResponse["stopReason"] = "end_turn";
    let metadata: Extract<ConverseStreamEvent, { metadata: unknown }>["metadata"] = { usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, metrics: { latencyMs: 0 } };
    for await (const event of stream) {
      if ("contentBlockDelta" in event) text += event.contentBlockDelta.delta.text;
      else if ("messageStop" in event) stopReason = event.messageStop.stopReason;
      else if ("metadata" in event) metadata = event.metadata;
    }
    return { output: { message: { role: "assistant", content: [{ text }] } }, stopReason, ...metadata };
  });
}

/** Runs `call` until it does not fail by throttling, or `retry.maxAttempts` attempts have. */
async function retried<T>(retry: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= retry.maxAttempts) throw error;
      await sleep(retry.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** Bedrock's throttling, by name or by HTTP status, as the AWS SDK reports it. */
export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === "ThrottlingException" || status === 429;
}

export interface ToolDeadline {
  timeoutMs: number;
  /** What the call is about, for the timeout's message (a document id, a query). */
  resource: string;
}

/**
 * One tool call, as a `tool` step named `name`, under a deadline: when it passes, the call's
 * signal aborts and the step fails with a {@link ToolTimeoutError}. The deadline is inside the
 * step, so the recorded tool step itself ends with the timeout.
 */
export function callTool<A, R>(name: string, args: A, fn: (args: A, options: ToolCallOptions) => Promise<R>, deadline: ToolDeadline): Promise<R> {
  return tool(name, args, async (a) => {
    const controller = new AbortController();
    // A referenced timer: a run waiting on nothing but its deadline must keep the process alive.
    const timer = setTimeout(() => controller.abort(new ToolTimeoutError(name, deadline.timeoutMs, deadline.resource)), deadline.timeoutMs);
    try {
      return await fn(a, { signal: controller.signal });
    } catch (error) {
      // A tool may reject with its own AbortError; what happened is the deadline.
      if (controller.signal.aborted) throw controller.signal.reason as Error;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  });
}
