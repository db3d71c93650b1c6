/**
 * A chat model in the shape of the Bedrock Converse API, trimmed to what the reference agents
 * use. The request names its model `model` (Converse says `modelId`) because that is the field
 * `@tracewright/instrument`'s `llm()` reads for `gen_ai.request.model`.
 *
 * These are type aliases, not interfaces, so that a request is assignable to `llm()`'s
 * `{ model: string; [key: string]: unknown }` constraint.
 */

export type Role = "user" | "assistant";

export type TextBlock = { text: string };

export type Message = { role: Role; content: TextBlock[] };

export type ConverseRequest = {
  model: string;
  system?: TextBlock[];
  messages: Message[];
  inferenceConfig?: { maxTokens?: number; temperature?: number };
};

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence";

export type TokenUsage = { inputTokens: number; outputTokens: number; totalTokens: number };

export type ConverseResponse = {
  output: { message: { role: "assistant"; content: TextBlock[] } };
  stopReason: StopReason;
  usage: TokenUsage;
  metrics: { latencyMs: number };
};

/** One event of a streamed answer, in the shape of Bedrock's ConverseStream (text only). */
export type ConverseStreamEvent =
  | { messageStart: { role: "assistant" } }
  | { contentBlockDelta: { contentBlockIndex: number; delta: { text: string } } }
  | { contentBlockStop: { contentBlockIndex: number } }
  | { messageStop: { stopReason: StopReason } }
  | { metadata: { usage: TokenUsage; metrics: { latencyMs: number } } };

/** Anything that answers Converse requests: the scripted model, or an adapter over a real client. */
export interface ChatModel {
  /** The model id requests are sent with. */
  readonly id: string;
  /** `gen_ai.provider.name`, e.g. `aws.bedrock`. */
  readonly provider: string;
  converse(request: ConverseRequest): Promise<ConverseResponse>;
  /**
   * The same answer streamed, as ConverseStream sends it: resolves when the model answers (a
   * throttled call rejects here), then yields the text in pieces. A model without it is asked
   * with {@link converse} where an agent would stream.
   */
  converseStream?(request: ConverseRequest): Promise<AsyncIterable<ConverseStreamEvent>>;
}

/** The reply's text: its text blocks joined. */
export function replyText(response: ConverseResponse): string {
  return response.output.message.content.map((block) => block.text).join("");
}
