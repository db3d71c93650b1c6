import { llm } from "./steps.js";

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
  /**
   * One ConverseStream call as an `llm` step: the response's `stream` yields each event as the
   * model sends it, and the step ends with the stream, its output every event received (and the
   * `metadata` event's `usage`, for the token counts). Replayed, the recorded events are yielded
   * again. A stream that failed midway replays as the same error, before any event.
   */
  converseStream(input: ConverseInputLike, options?: { name?: string }): Promise<ConverseStreamLike>;
}

/** A ConverseStream response: the SDK's, its `stream` read through the step. */
export interface ConverseStreamLike {
  stream: AsyncIterable<Record<string, unknown>>;
  [key: string]: unknown;
}

/** What a ConverseStream step records as its output. */
interface RecordedStream {
  /** The response's other fields (none today but what the SDK may add). */
  response: Record<string, unknown>;
  events: Record<string, unknown>[];
  /** The `metadata` event's usage, read for `gen_ai.usage.*`. */
  usage?: unknown;
}

/**
 * Events handed from the step reading the model's stream to the caller reading theirs, in order,
 * as they come (buffered while the caller is slower); the caller's read ends with the stream,
 * or throws its error.
 */
class EventChannel implements AsyncIterable<Record<string, unknown>> {
  private readonly events: Record<string, unknown>[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(event: Record<string, unknown>): void {
    this.events.push(event);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Record<string, unknown>> {
    for (let next = 0; ; ) {
      if (next < this.events.length) {
        yield this.events[next++] as Record<string, unknown>;
        continue;
      }
      if (this.failure !== undefined) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

type Commands = { ConverseCommand: new (input: unknown) => unknown; ConverseStreamCommand: new (input: unknown) => unknown };

export function tracedBedrock(client: BedrockClientLike): TracedBedrock {
  let commands: Promise<Commands> | undefined;
  const load = (): Promise<Commands> => (commands ??= import("@aws-sdk/client-bedrock-runtime") as Promise<Commands>);
  return {
    async converse<R>(input: ConverseInputLike, options: { name?: string } = {}): Promise<R> {
      const { ConverseCommand } = await load();
      return llm({ ...input, model: input.modelId }, async ({ model: _model, ...request }) => {
        const response = (await client.send(new ConverseCommand(request))) as Record<string, unknown>;
        // The SDK's transport metadata (request id, attempts) is not the model's answer.
        const { $metadata: _metadata, ...answer } = response;
        return answer as R;
      }, { provider: BEDROCK_PROVIDER, ...(options.name === undefined ? {} : { name: options.name }) });
    },

    async converseStream(input: ConverseInputLike, options: { name?: string } = {}): Promise<ConverseStreamLike> {
      const { ConverseStreamCommand } = await load();
      const channel = new EventChannel();
      // The response's head (all but the stream) reaches the caller as soon as the call answers;
      // the step goes on reading the stream, and ends with it.
      let answered: (head: Record<string, unknown>) => void = () => undefined;
      const head = new Promise<Record<string, unknown>>((resolve) => (answered = resolve));
      let live = false;
      const step = llm({ ...input, model: input.modelId }, async ({ model: _model, ...request }): Promise<RecordedStream> => {
        live = true;
        const { $metadata: _metadata, stream, ...response } = (await client.send(new ConverseStreamCommand(request))) as Record<string, unknown>;
        answered(response);
        const events: Record<string, unknown>[] = [];
        for await (const event of (stream ?? []) as AsyncIterable<Record<string, unknown>>) {
          events.push(event);
          channel.push(event);
        }
        const usage = (events.find((e) => e.metadata !== undefined)?.metadata as { usage?: unknown } | undefined)?.usage;
        return { response, events, ...(usage === undefined ? {} : { usage }) };
      }, { provider: BEDROCK_PROVIDER, ...(options.name === undefined ? {} : { name: options.name }) });
      step.then(
        (recorded) => {
          // Served by replay, the live function never ran: the recorded events are the stream.
          if (!live) {
            answered(recorded.response ?? {});
            for (const event of recorded.events ?? []) channel.push(event);
          }
          channel.end();
        },
        (error: unknown) => channel.fail(error),
      );
      const response = await Promise.race([head, step.then((recorded) => recorded.response ?? {})]);
      return { ...response, stream: channel };
    },
  };
}
