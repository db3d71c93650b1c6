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

/** What a ConverseStream step records as its output (and what a fork's state for one must be). */
export interface RecordedStream {
  /** The response's other fields (none today but what the SDK may add). */
  response: Record<string, unknown>;
  /** Every event received, in order. */
  events: Record<string, unknown>[];
  /** The `messageStop` event's stop reason. */
  stopReason?: unknown;
  /** The `metadata` event's usage, read for `gen_ai.usage.*`. */
  usage?: unknown;
  /** The caller stopped reading before the end: the model's stream was closed there. */
  abandoned?: true;
}

/** A served output as a recorded stream, or a clear error naming what it is instead. */
function asRecordedStream(served: unknown): RecordedStream {
  const events = (served as { events?: unknown } | null)?.events;
  if (served === null || typeof served !== "object" || !Array.isArray(events)) {
    throw new TypeError(`The output served for a ConverseStream call is not a recorded stream ({ response, events: [...] }); got ${served === null ? "null" : Array.isArray(served) ? "an array" : typeof served}${typeof served === "object" && served !== null ? ` with keys ${Object.keys(served).join(", ") || "none"}` : ""}.`);
  }
  const response = (served as { response?: unknown }).response;
  return { ...(served as RecordedStream), response: response !== null && typeof response === "object" ? (response as Record<string, unknown>) : {} };
}

/**
 * Events handed from the step reading the model's stream to the caller reading theirs, in order,
 * as they come (buffered while the caller is slower); the caller's read ends with the stream, or
 * throws its error. Read once, as the SDK's own stream; a reader that stops early (a `break`)
 * tells the step, which closes the model's stream there.
 */
class EventChannel implements AsyncIterable<Record<string, unknown>> {
  private readonly events: Record<string, unknown>[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private taken = false;
  onAbandon: () => void = () => undefined;

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

  [Symbol.asyncIterator](): AsyncIterator<Record<string, unknown>> {
    if (this.taken) throw new TypeError("A ConverseStream response's stream can be read once, as the SDK's.");
    this.taken = true;
    return this.read();
  }

  private async *read(): AsyncGenerator<Record<string, unknown>> {
    let next = 0;
    try {
      for (;;) {
        if (next < this.events.length) {
          const event = this.events[next] as Record<string, unknown>;
          // Handed on, it is the caller's: the channel keeps no copy (the step has its own list).
          this.events[next++] = undefined as unknown as Record<string, unknown>;
          yield event;
          continue;
        }
        if (this.failure !== undefined) throw this.failure.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!this.ended && this.failure === undefined) this.onAbandon();
    }
  }
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
      const channel = new EventChannel();
      // The response's head (all but the stream) reaches the caller as soon as the call answers;
      // the step goes on reading the stream, and ends with it.
      let answered: (head: Record<string, unknown>) => void = () => undefined;
      const head = new Promise<Record<string, unknown>>((resolve) => (answered = resolve));
      let live = false;
      const step = bedrockStep(input, options, async (request): Promise<RecordedStream> => {
        live = true;
        // Aborted when the caller stops reading early: the SDK then closes the model's stream.
        const abort = new AbortController();
        const { $metadata: _metadata, stream, ...response } = (await client.send(new ConverseStreamCommand(request), { abortSignal: abort.signal })) as Record<string, unknown>;
        answered(response);
        const events: Record<string, unknown>[] = [];
        let stop: () => void = () => undefined;
        const stopped = new Promise<"stopped">((resolve) => (stop = () => resolve("stopped")));
        channel.onAbandon = stop;
        const iterator = ((stream ?? []) as AsyncIterable<Record<string, unknown>>)[Symbol.asyncIterator]();
        let abandoned = false;
        for (;;) {
          const read = iterator.next();
          // A read left pending when the caller stopped may fail later: that is no failure of the call.
          read.catch(() => undefined);
          const next = await Promise.race([read, stopped]);
          if (next === "stopped") {
            abandoned = true;
            abort.abort();
            break;
          }
          if (next.done === true) break;
          events.push(next.value);
          channel.push(next.value);
        }
        const usage = (events.find((e) => e.metadata !== undefined)?.metadata as { usage?: unknown } | undefined)?.usage;
        const stopReason = (events.find((e) => e.messageStop !== undefined)?.messageStop as { stopReason?: unknown } | undefined)?.stopReason;
        return { response, events, ...(stopReason === undefined ? {} : { stopReason }), ...(usage === undefined ? {} : { usage }), ...(abandoned ? { abandoned: true as const } : {}) };
      });
      // Served by replay, the live function never ran: the recorded events are the stream.
      const served = step.then((recorded) => (live ? undefined : asRecordedStream(recorded)));
      served.then(
        (recorded) => {
          for (const event of recorded?.events ?? []) channel.push(event);
          channel.end();
        },
        (error: unknown) => channel.fail(error),
      );
      const response = await Promise.race([head, served.then((recorded) => recorded?.response ?? {})]);
      return { ...response, stream: channel };
    },
  };
}
