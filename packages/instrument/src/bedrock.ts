import { llm } from "./steps.js";

/**
 * Amazon Bedrock's Converse API as recorded `llm` steps (`gen_ai.provider.name` `aws.bedrock`,
 * the model id, token usage from `usage.inputTokens`/`outputTokens`). Works with your own
 * `BedrockRuntimeClient`; `@aws-sdk/client-bedrock-runtime` is an optional peer dependency,
 * loaded when the first call is made.
 *
 * ```ts
 * const bedrock = tracedBedrock(new BedrockRuntimeClient({}));
 * const reply = await bedrock.converse({ modelId: "anthropic.claude-3-5-haiku-20241022-v1:0", messages });
 * ```
 */
export interface BedrockClientLike {
  send(command: unknown): Promise<unknown>;
}

export interface ConverseInputLike {
  modelId: string;
  messages?: unknown;
  [key: string]: unknown;
}

/** `gen_ai.provider.name` of Bedrock, as the GenAI conventions name it. */
export const BEDROCK_PROVIDER = "aws.bedrock";

export interface TracedBedrock {
  /** One Converse call as an `llm` step named by `name` (default: the model id). */
  converse<R = Record<string, unknown>>(input: ConverseInputLike, options?: { name?: string }): Promise<R>;
}

export function tracedBedrock(client: BedrockClientLike): TracedBedrock {
  let commands: Promise<{ ConverseCommand: new (input: unknown) => unknown }> | undefined;
  return {
    async converse<R>(input: ConverseInputLike, options: { name?: string } = {}): Promise<R> {
      commands ??= import("@aws-sdk/client-bedrock-runtime") as Promise<{ ConverseCommand: new (input: unknown) => unknown }>;
      const { ConverseCommand } = await commands;
      return llm({ ...input, model: input.modelId }, async ({ model: _model, ...request }) => {
        const response = (await client.send(new ConverseCommand(request))) as Record<string, unknown>;
        // The SDK's transport metadata (request id, attempts) is not the model's answer.
        const { $metadata: _metadata, ...answer } = response;
        return answer as R;
      }, { provider: BEDROCK_PROVIDER, ...(options.name === undefined ? {} : { name: options.name }) });
    },
  };
}
