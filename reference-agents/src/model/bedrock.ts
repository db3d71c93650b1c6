import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { ModelOutputError } from "../errors.js";
import type { ChatModel, ConverseRequest, ConverseResponse, StopReason, TextBlock } from "./types.js";

import { BEDROCK_PROVIDER } from "@tracewright/instrument";

/** `gen_ai.provider.name` of Bedrock, as `tracedBedrock` of `@tracewright/instrument` records it. */
export { BEDROCK_PROVIDER };

export interface BedrockModelOptions {
  /** The Bedrock model id or inference profile, e.g. `anthropic.claude-3-5-haiku-20241022-v1:0`. */
  modelId: string;
  /**
   * Default: a client from the SDK's environment (`AWS_REGION`, credentials,
   * `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`). Retries are the agents' own ({@link callModel}'s
   * backoff, each attempt a step), so give your client `maxAttempts: 1`.
   */
  client?: BedrockRuntimeClient;
}

/**
 * Amazon Bedrock's Converse API as the agents' `ChatModel`. The agents record each call as an
 * `llm` step through `callModel` (provider `aws.bedrock`, the model id, token usage), the same
 * step `tracedBedrock` records; this adapter only makes the call and keeps the text blocks.
 */
export function bedrockModel(options: BedrockModelOptions): ChatModel {
  const client = options.client ?? new BedrockRuntimeClient({ maxAttempts: 1 });
  return {
    id: options.modelId,
    provider: BEDROCK_PROVIDER,
    async converse(request: ConverseRequest): Promise<ConverseResponse> {
      const { model: _model, ...rest } = request;
      const out = await client.send(new ConverseCommand({ ...rest, modelId: options.modelId }));
      const content = out.output?.message?.content;
      if (content === undefined) throw new ModelOutputError(`Bedrock ${options.modelId} answered without an output message (stopReason: ${out.stopReason ?? "none"})`, "");
      // Text blocks only: the agents ask for text (tool use, reasoning and images are not theirs).
      const text: TextBlock[] = content.flatMap((block) => (typeof block.text === "string" ? [{ text: block.text }] : []));
      const usage = { inputTokens: out.usage?.inputTokens ?? 0, outputTokens: out.usage?.outputTokens ?? 0, totalTokens: out.usage?.totalTokens ?? 0 };
      return { output: { message: { role: "assistant", content: text } }, stopReason: (out.stopReason ?? "end_turn") as StopReason, usage, metrics: { latencyMs: out.metrics?.latencyMs ?? 0 } };
    },
  };
}
