import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { ChatGenerationChunk } from "@langchain/core/outputs";
import type { ChatResult } from "@langchain/core/outputs";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GenAI, OpenInference } from "./conventions.js";
import { init } from "./init.js";
import type { Tracing } from "./init.js";
import { serialize } from "./serialize.js";
import { llm, run } from "./steps.js";
import { llmStream, mergedUsage } from "./stream.js";

/**
 * A LangChain chat model answering as ChatAnthropic does: its usage in `usage_metadata`, and when
 * streamed, in parts that add up — the input tokens on the first chunk, the output tokens on the
 * last — as `AIMessageChunk.concat` sums them.
 */
class AnthropicLikeChat extends BaseChatModel {
  _llmType(): string {
    return "anthropic-like";
  }

  _generate(): Promise<ChatResult> {
    const message = new AIMessage({
      content: "Move image-resize to arm64.",
      usage_metadata: { input_tokens: 42, output_tokens: 7, total_tokens: 49, input_token_details: { cache_read: 10, cache_creation: 5 } },
    });
    return Promise.resolve({ generations: [{ text: "Move image-resize to arm64.", message }] });
  }

  override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
    const parts: AIMessageChunk[] = [
      new AIMessageChunk({ content: "", usage_metadata: { input_tokens: 42, output_tokens: 0, total_tokens: 42, input_token_details: { cache_read: 10 } } }),
      new AIMessageChunk({ content: "Move image-resize" }),
      new AIMessageChunk({ content: " to arm64." }),
      new AIMessageChunk({ content: "", usage_metadata: { input_tokens: 0, output_tokens: 7, total_tokens: 7 } }),
    ];
    for (const message of parts) {
      await Promise.resolve();
      yield new ChatGenerationChunk({ message, text: typeof message.content === "string" ? message.content : "" });
    }
  }
}

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
beforeAll(() => {
  tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false, serviceName: "langchain-agent" });
});
afterAll(async () => {
  await tracing.shutdown();
});
beforeEach(() => exporter.reset());

const llmSpan = (): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((s) => s.attributes[GenAI.OPERATION_NAME] === "chat");
  if (span === undefined) throw new Error("no llm span");
  return span;
};
const usageOf = (span: ReadableSpan) => ({
  input: span.attributes[GenAI.USAGE_INPUT_TOKENS],
  output: span.attributes[GenAI.USAGE_OUTPUT_TOKENS],
  cacheRead: span.attributes[GenAI.USAGE_CACHE_READ_INPUT_TOKENS],
  cacheCreation: span.attributes[GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS],
});

describe("LangChain chat models", () => {
  const messages: BaseMessage[] = [new SystemMessage("You are terse."), new HumanMessage("What should we do about Lambda costs?")];
  const request = { model: "claude-sonnet", messages };

  it("records the token usage of an invoke() from the message's usage_metadata, cache reads and writes included", async () => {
    const model = new AnthropicLikeChat({});
    const answer = await run("agent", {}, () => llm(request, (r) => model.invoke(r.messages)));
    expect(answer.content).toBe("Move image-resize to arm64.");
    expect(usageOf(llmSpan())).toEqual({ input: 42, output: 7, cacheRead: 10, cacheCreation: 5 });
  });

  it("records the usage of a stream() as its chunks' usage_metadata added up, as LangChain adds them", async () => {
    const model = new AnthropicLikeChat({});
    let text = "";
    await run("agent", {}, async () => {
      const stream = await llmStream(request, (r) => model.stream(r.messages));
      for await (const chunk of stream) text += typeof chunk.content === "string" ? chunk.content : "";
    });
    expect(text).toBe("Move image-resize to arm64.");
    expect(usageOf(llmSpan())).toEqual({ input: 42, output: 7, cacheRead: 10, cacheCreation: undefined });
    const recorded = JSON.parse(String(llmSpan().attributes[OpenInference.OUTPUT_VALUE])) as { events: unknown[]; usage: unknown };
    expect(recorded.events).toHaveLength(4);
    expect(recorded.usage).toEqual({ input_tokens: 42, output_tokens: 7, total_tokens: 49, input_token_details: { cache_read: 10 } });
  });

  it("reads the usage of a message in its serialized form too (what a replay without revive serves)", async () => {
    const serialized = JSON.parse(serialize(await new AnthropicLikeChat({}).invoke(messages))) as unknown;
    expect(serialized).toMatchObject({ lc: 1, kwargs: { usage_metadata: { input_tokens: 42 } } });
    await run("agent", {}, () => llm(request, () => serialized));
    expect(usageOf(llmSpan())).toEqual({ input: 42, output: 7, cacheRead: 10, cacheCreation: 5 });
  });

  it("adds up only counts: a field that is no number is left out, nested details one level deep, another shape's usage first", () => {
    expect(mergedUsage([{ usage_metadata: { input_tokens: 1, output_tokens: "7" } }, { usage_metadata: { input_tokens: 2, input_token_details: { cache_read: 1, deeper: { a: 1 } } } }, { usage_metadata: [3] }])).toEqual({
      input_tokens: 3,
      input_token_details: { cache_read: 1 },
    });
    // An OpenAI chunk's usage beside LangChain's parts: the provider's own counts are the call's.
    expect(mergedUsage([{ usage_metadata: { input_tokens: 5 } }, { usage: { prompt_tokens: 9 } }])).toEqual({ prompt_tokens: 9 });
    expect(mergedUsage([{ usage_metadata: null }, "text", null])).toBeUndefined();
  });
});
