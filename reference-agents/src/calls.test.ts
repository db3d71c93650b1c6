import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runWithResult } from "@tracewright/instrument";
import { callModel, callTool, isThrottling, streamModel } from "./calls.js";
import { ThrottlingException, ToolTimeoutError } from "./errors.js";
import type { ChatModel, ConverseRequest, ConverseResponse, ConverseStreamEvent } from "./model/types.js";
import { spanRecorder } from "./test-support/spans.js";

const request: ConverseRequest = { model: "m", messages: [{ role: "user", content: [{ text: "hi" }] }] };
const reply: ConverseResponse = {
  output: { message: { role: "assistant", content: [{ text: "hello" }] } },
  stopReason: "end_turn",
  usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
  metrics: { latencyMs: 0 },
};

/** A model that fails with the given errors, in order, then answers. */
function failing(...errors: Error[]): ChatModel & { calls: number } {
  const model = {
    id: "m",
    provider: "test",
    calls: 0,
    converse: () => {
      const error = errors[model.calls++];
      return error === undefined ? Promise.resolve(reply) : Promise.reject(error);
    },
  };
  return model;
}

describe("callModel", () => {
  it("retries throttled calls with backoff until one succeeds", async () => {
    const model = failing(new ThrottlingException(), new ThrottlingException());
    const started = performance.now();
    await expect(callModel(model, "planner", request, { maxAttempts: 3, baseDelayMs: 10 })).resolves.toEqual(reply);
    expect(model.calls).toBe(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(10 + 20 - 2);
  });

  it("gives up after maxAttempts with the last throttling error", async () => {
    const last = new ThrottlingException("third strike");
    const model = failing(new ThrottlingException(), new ThrottlingException(), last);
    await expect(callModel(model, "planner", request, { maxAttempts: 3, baseDelayMs: 1 })).rejects.toBe(last);
    expect(model.calls).toBe(3);
  });

  it("does not retry other errors", async () => {
    const boom = new Error("validation failed");
    const model = failing(boom);
    await expect(callModel(model, "planner", request, { maxAttempts: 3, baseDelayMs: 1 })).rejects.toBe(boom);
    expect(model.calls).toBe(1);
  });

  it("recognises throttling by name or by HTTP 429, as the AWS SDK reports it", () => {
    expect(isThrottling(new ThrottlingException())).toBe(true);
    expect(isThrottling(Object.assign(new Error("slow down"), { $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isThrottling(Object.assign(new Error("bad"), { $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isThrottling("ThrottlingException")).toBe(false);
  });
});

describe("callTool", () => {
  it("returns the tool's result and hands it a signal that is not aborted", async () => {
    let seen: AbortSignal | undefined;
    const result = await callTool("web_search", { query: "q" }, (args, options) => {
      seen = options.signal;
      return Promise.resolve(args.query.toUpperCase());
    }, { timeoutMs: 50, resource: '"q"' });
    expect(result).toBe("Q");
    expect(seen?.aborted).toBe(false);
  });

  it("fails with a ToolTimeoutError when the deadline passes, whatever the tool rejects with", async () => {
    const hang = (_args: unknown, options: { signal?: AbortSignal }) =>
      new Promise<never>((_resolve, reject) => options.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    const failure = callTool("fetch_document", { id: "doc://x" }, hang, { timeoutMs: 20, resource: "doc://x" });
    await expect(failure).rejects.toBeInstanceOf(ToolTimeoutError);
    await expect(failure).rejects.toThrow("fetch_document: no response within 20 ms for doc://x");
  });

  it("passes a tool's own error through unchanged", async () => {
    const boom = new Error("503");
    await expect(callTool("fetch_document", {}, () => Promise.reject(boom), { timeoutMs: 1000, resource: "doc://x" })).rejects.toBe(boom);
  });
});

describe("streamModel", () => {
  const recorder = spanRecorder();
  beforeAll(() => recorder.install());
  afterAll(() => recorder.uninstall());
  beforeEach(() => recorder.reset());

  /** A model whose streamed calls fail with the given errors, in order, when made, then stream "hello world". */
  function streaming(...errors: Error[]): ChatModel & { calls: number; streamed: number } {
    const model = {
      ...failing(),
      streamed: 0,
      converseStream: (): Promise<AsyncIterable<ConverseStreamEvent>> => {
        const error = errors[model.streamed++];
        if (error !== undefined) return Promise.reject(error);
        const events: ConverseStreamEvent[] = [
          { messageStart: { role: "assistant" } },
          { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "hello " } } },
          { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "world" } } },
          { messageStop: { stopReason: "max_tokens" } },
          { metadata: { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, metrics: { latencyMs: 4 } } },
        ];
        return Promise.resolve(
          (async function* () {
            yield* events;
          })(),
        );
      },
    };
    return model;
  }

  it("puts the streamed answer back together, and retries a call throttled when made, each attempt its own step", async () => {
    const model = streaming(new ThrottlingException());
    const result = await runWithResult("calls", {}, () => streamModel(model, "writer", request, { maxAttempts: 3, baseDelayMs: 1 }));
    expect(result.output).toEqual({ output: { message: { role: "assistant", content: [{ text: "hello world" }] } }, stopReason: "max_tokens", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, metrics: { latencyMs: 4 } });
    expect(model.streamed).toBe(2);
    expect(model.calls).toBe(0);
    expect(recorder.step("calls/llm:writer#0").status).toBe("error");
    const answered = recorder.step("calls/llm:writer#1");
    expect(answered.status).toBe("ok");
    expect((answered.output as { events: unknown[] }).events).toHaveLength(5);
  });

  it("asks a model that cannot stream with converse", async () => {
    const model = failing();
    const result = await runWithResult("calls", {}, () => streamModel(model, "writer", request));
    expect(result.output).toEqual(reply);
    expect(model.calls).toBe(1);
    expect(recorder.step("calls/llm:writer#0").output).toEqual(reply);
  });
});
