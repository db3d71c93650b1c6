import { llm } from "./steps.js";
import { streamStep } from "./stream.js";
import type { RecordedEvents } from "./stream.js";

/**
 * Amazon Bedrock's Converse and ConverseStream APIs as recorded `llm` steps (`gen_ai.provider.name`
 * `aws.bedrock`, the model id, token usage from `usage`). Works with your own
 * `BedrockRuntimeClient`; `@aws-sdk/client-bedrock-runtime` is an optional peer dependency,
 * loaded when the first call is made.
 *
 * ```ts
 * const bedrock = tracedBedrock(new BedrockRuntimeClient({}));
 * const reply = await bedrock.converse({ modelId: "anthropic.claude-3-5-haiku-20241022-v1:0", messages });
 * ```
 */
export interface BedrockClientLike {
  /** `options.abortSignal`: how a stream the caller stopped reading is closed (the SDK's `HttpHandlerOptions`). */
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
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
  /**
   * One ConverseStream call as an `llm` step: the response's `stream` yields each event as the
   * model sends it, and the step ends with the stream, its output a {@link RecordedStream}. A
   * reader that stops early aborts the call there. Replayed, the recorded events are yielded
   * again. A stream that failed midway replays as the same error, before any event.
   */
  converseStream(input: ConverseInputLike, options?: { name?: string }): Promise<ConverseStreamLike>;
}

/** A ConverseStream response: the SDK's, its `stream` read through the step. */
export interface ConverseStreamLike {
  stream: AsyncIterable<Record<string, unknown>>;
  [key: string]: unknown;
}

/** What a ConverseStream step records as its output (and what a fork's state for one must be): the events, their usage (the `metadata` event's), and the response's head. */
export interface RecordedStream extends RecordedEvents<Record<string, unknown>> {
  /** The response's other fields (none today but what the SDK may add). */
  response: Record<string, unknown>;
  /** The `messageStop` event's stop reason. */
  stopReason?: unknown;
}

/**
 * One Bedrock call as an `llm` step: the request as the agent passed it (with `model`, the model
 * id, for the step's name and `gen_ai.request.model`), `send` given it without that field.
 */
function bedrockStep<R>(input: ConverseInputLike, options: { name?: string }, send: (request: Record<string, unknown>) => Promise<R>): Promise<R> {
  return llm({ ...input, model: input.modelId }, ({ model: _model, ...request }) => send(request), { provider: BEDROCK_PROVIDER, ...(options.name === undefined ? {} : { name: options.name }) });
}

type Commands = { ConverseCommand: new (input: unknown) => unknown; ConverseStreamCommand: new (input: unknown) => unknown };

export function tracedBedrock(client: BedrockClientLike): TracedBedrock {
  let commands: Promise<Commands> | undefined;
  const load = (): Promise<Commands> => (commands ??= import("@aws-sdk/client-bedrock-runtime") as Promise<Commands>);
  return {
    async converse<R>(input: ConverseInputLike, options: { name?: string } = {}): Promise<R> {
      const { ConverseCommand } = await load();
      return bedrockStep(input, options, async (request) => {
        const response = (await client.send(new ConverseCommand(request))) as Record<string, unknown>;
        // The SDK's transport metadata (request id, attempts) is not the model's answer.
        const { $metadata: _metadata, ...answer } = response;
        return answer as R;
      });
    },

    async converseStream(input: ConverseInputLike, options: { name?: string } = {}): Promise<ConverseStreamLike> {
      const { ConverseStreamCommand } = await load();
      // The response's head (all but the stream) reaches the caller as soon as the call answers;
      // the step goes on reading the stream, and ends with it (stream.ts).
      const opened = await streamStep<ConverseInputLike & { model: string }, Record<string, unknown>, Record<string, unknown>>(
        { ...input, model: input.modelId },
        { provider: BEDROCK_PROVIDER, ...(options.name === undefined ? {} : { name: options.name }) },
        async ({ model: _model, ...request }) => {
          // Aborted when the caller stops reading early: the SDK then closes the model's stream.
          const abort = new AbortController();
          const { $metadata: _metadata, stream, ...response } = (await client.send(new ConverseStreamCommand(request), { abortSignal: abort.signal })) as Record<string, unknown>;
          return { head: response, source: (stream ?? []) as AsyncIterable<Record<string, unknown>>, close: () => abort.abort() };
        },
        {
          head: (response) => ({ response }),
          summary: (events) => {
            const stopReason = (events.find((e) => e?.messageStop !== undefined)?.messageStop as { stopReason?: unknown } | undefined)?.stopReason;
            return stopReason === undefined ? {} : { stopReason };
          },
        },
      );
      // Served by replay: the recorded response's head.
      const recorded = opened.recorded?.response;
      const response = opened.head ?? (recorded !== null && typeof recorded === "object" ? (recorded as Record<string, unknown>) : {});
      return { ...response, stream: opened.events };
    },
  };
}
