/**
 * Streamed model calls as `llm` steps: the caller reads the model's events as they come, and the
 * step records every one of them, ending with the stream. One implementation serves
 * {@link llmStream} (any SDK whose stream is an async iterable: OpenAI's and Anthropic's
 * `stream: true`, LangChain's `.stream()`) and Bedrock's ConverseStream (bedrock.ts).
 *
 * - **Recorded whole**: the step's output is `{ events: [...], usage?, failed?, error?, abandoned? }`,
 *   every event in the order received. Token usage is merged from the events (OpenAI's last
 *   chunk `usage`, Anthropic's `message_start.message.usage` then `message_delta.usage`,
 *   Bedrock's `metadata.usage`, LangChain's chunks' `usage_metadata` summed) and recorded as
 *   `gen_ai.usage.*`.
 * - **A reader that stops early** (a `break`) closes the model's stream: its iterator's
 *   `return()` is called, and a stream with an AbortController (`controller`, as the OpenAI and
 *   Anthropic SDKs' have) is aborted. The step ends ok, `abandoned: true`, with the events it had
 *   received by then: it reads as fast as the model sends, not at the reader's pace, so that may
 *   be any number past the reader's — all of them, if the stream had ended (then not abandoned).
 * - **A failure to open** (a 401, a 429) rejects the call and fails the step, recorded as any
 *   failed call. **A stream that fails midway** throws to the reader's loop after the events
 *   that came; the step fails with that error and records the events and the error in its output.
 * - **Replayed**, the recorded events are the stream (nothing is called), and a stream that
 *   failed midway throws its recorded error from the reader's loop after them, as it did.
 */
import { TracewrightError } from "./errors.js";
import { llmSpec, recordError, withStep } from "./steps.js";
import type { LlmOptions, LlmRequest } from "./steps.js";

/** What a streamed model call records as its output (and what a fork's state for one must be). */
export interface RecordedEvents<E = unknown> {
  /** Every event received, in order. */
  events: E[];
  /** Token usage merged from the events, in the provider's own shape. */
  usage?: Record<string, unknown>;
  /** The stream failed midway, after the events, with `error` (the step failed with it). */
  failed?: true;
  /** What the stream threw (absent when that was `undefined`). */
  error?: unknown;
  /** The reader stopped before the end: the model's stream was closed there. */
  abandoned?: true;
}

export interface LlmStreamOptions<E = unknown> extends Omit<LlmOptions, "revive"> {
  /** Rebuilds each event replay serves from its recorded JSON (see {@link LlmOptions.revive}). Not called on a live call. */
  revive?: (recorded: unknown) => E;
}

/**
 * One streamed model call as an `llm` step. `fn` opens the stream (an async iterable of events,
 * or a promise of one); the promise returned resolves once it is open, with a stream the caller
 * reads once, as the SDK's own. A failure to open (a 401, a 429) rejects it and fails the step.
 *
 * ```ts
 * const stream = await llmStream({ model: "gpt-4o-mini", messages }, (req) => openai.chat.completions.create({ ...req, stream: true }), { provider: "openai" });
 * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
 * ```
 */
export async function llmStream<Req extends LlmRequest, E>(request: Req, fn: (request: Req) => AsyncIterable<E> | Iterable<E> | Promise<AsyncIterable<E> | Iterable<E>>, options: LlmStreamOptions<E> = {}): Promise<AsyncIterable<E>> {
  const { revive, ...llmOptions } = options;
  const opened = streamStep<Req, E, undefined>(
    request,
    llmOptions,
    async (req) => {
      const source = await fn(req);
      return { head: undefined, source, close: () => abortSource(source) };
    },
    revive === undefined ? {} : { revive },
  );
  return (await opened).events;
}

/** A stream opened by a step: its head (what came before the events), and the events. */
export interface OpenedStream<E, Head> {
  head: Head | undefined;
  /** Served by replay: the recorded output, of which `events` yields the events. */
  recorded?: Record<string, unknown>;
  events: AsyncIterable<E>;
}

/** What opening the model's stream gave: its head, the events, and how to close it early. */
export interface LiveStream<E, Head> {
  head: Head;
  source: AsyncIterable<E> | Iterable<E>;
  /** Closes the model's stream when the reader stopped early (beside the iterator's `return()`). */
  close?: () => void;
}

/** How a streamed step records what it read, beside the events and their usage. */
export interface StreamRecording<E, Head> {
  /** Fields of the head recorded before `events` (Bedrock's `response`). */
  head?: (head: Head) => Record<string, unknown>;
  /** Fields read from the events, recorded before the usage (Bedrock's `stopReason`). */
  summary?: (events: E[]) => Record<string, unknown>;
  /** Rebuilds each served event (see {@link LlmStreamOptions.revive}). */
  revive?: (recorded: unknown) => E;
}

/**
 * The one streamed-step implementation: opens the stream in an `llm` step, hands events to the
 * caller's channel as they come, and records `{ ...head, events, ...summary, usage?, failed?,
 * error?, abandoned? }` (see {@link StreamRecording}).
 *
 * A stream that fails midway is no failure to open: the call has answered, and its reader has
 * the events that came. The step records them and the error beside them in its output, and fails
 * with that error (status, `exception` event, `tracewright.error.value`, as any failed step).
 * Replay serves that output: the stream opens, yields the events, and throws the error from the
 * reader's loop, where it was thrown.
 */
export async function streamStep<Req extends LlmRequest, E, Head>(
  request: Req,
  options: Omit<LlmOptions, "revive">,
  open: (request: Req) => Promise<LiveStream<E, Head>>,
  recording: StreamRecording<E, Head> = {},
): Promise<OpenedStream<E, Head>> {
  const { revive } = recording;
  const channel = new EventChannel<E>();
  let answered: (head: Head) => void = () => undefined;
  const head = new Promise<Head>((resolve) => (answered = resolve));
  let live = false;
  const spec = llmSpec(
    request,
    {
      ...options,
      // A served recording's events, each rebuilt (a revive that throws fails the served step, REPLAY_REVIVE_FAILED).
      ...(revive === undefined ? {} : { revive: (recorded: unknown) => (isRecorded(recorded) ? { ...recorded, events: recorded.events.map(revive) } : recorded) }),
    },
    (output, span) => {
      // Failed midway, recorded or served: the step fails with the error, its events kept.
      if (isRecorded(output) && output.failed === true) recordError(span, output.error);
    },
  );
  const step = withStep(spec, async (req): Promise<Record<string, unknown>> => {
    live = true;
    const opened = await open(req as Req);
    // A source that is no stream fails the call before it has opened.
    const iterator = asyncIteratorOf(opened.source);
    answered(opened.head);
    let stop: () => void = () => undefined;
    const stopped = new Promise<"stopped">((resolve) => (stop = () => resolve("stopped")));
    channel.abandoned(stop);
    const events: E[] = [];
    let abandoned = false;
    let failure: { error: unknown } | undefined;
    for (;;) {
      let next: IteratorResult<E> | "stopped";
      try {
        const read = Promise.resolve(iterator.next());
        // A read left pending when the reader stopped may fail later: that is no failure of the call.
        read.catch(() => undefined);
        next = await Promise.race([read, stopped]);
      } catch (error) {
        failure = { error };
        break;
      }
      if (next === "stopped") {
        abandoned = true;
        closeQuietly(iterator, opened.close);
        break;
      }
      if (typeof next !== "object" || next === null) {
        // What `for await` throws for it.
        failure = { error: new TypeError(`Iterator result ${String(next)} is not an object`) };
        break;
      }
      if (next.done === true) break;
      events.push(next.value);
      channel.push(next.value);
    }
    if (failure !== undefined) channel.fail(failure.error);
    return { ...recording.head?.(opened.head), events, ...summaryOf(recording.summary, events), ...(failure === undefined ? {} : { failed: true as const, error: failure.error }), ...(abandoned ? { abandoned: true as const } : {}) };
  });
  // Served by replay, the live function never ran: the recorded events are the stream.
  const served = step.then((recorded) => (live ? undefined : asRecorded(recorded)));
  served.then(
    (recorded) => {
      if (recorded === undefined) return channel.end();
      for (const event of recorded.events) channel.push(event as E);
      if (recorded.failed === true) channel.fail(recorded.error);
      else channel.end();
    },
    (error: unknown) => channel.fail(error),
  );
  const first = await Promise.race([head.then((value) => ({ head: value })), served.then((recorded) => ({ recorded }))]);
  if ("head" in first) return { head: first.head, events: channel };
  return { head: undefined, ...(first.recorded === undefined ? {} : { recorded: first.recorded }), events: channel };
}

/**
 * What is read of the events: `summary`'s fields, then the usage merged from them; nothing if
 * reading throws on an event it did not expect, which is no failure of the call.
 */
function summaryOf<E>(summary: ((events: E[]) => Record<string, unknown>) | undefined, events: E[]): Record<string, unknown> {
  try {
    const usage = mergedUsage(events);
    return { ...summary?.(events), ...(usage === undefined ? {} : { usage }) };
  } catch {
    return {};
  }
}

/** The source's async iterator; a sync iterable (an array of events) is read as one. */
function asyncIteratorOf<E>(source: AsyncIterable<E> | Iterable<E>): AsyncIterator<E> {
  const value = source as Partial<AsyncIterable<E> & Iterable<E>> | null | undefined;
  const asyncIterator = value?.[Symbol.asyncIterator];
  if (typeof asyncIterator === "function") return asyncIterator.call(value);
  // Through an async generator, as `for await` reads one: a value that is a promise is awaited (a rejected one fails the stream there).
  if (typeof value?.[Symbol.iterator] === "function") return (async function* () {
    yield* value as Iterable<E>;
  })();
  throw new TracewrightError("STREAM_SOURCE_INVALID", `A streamed model call's source must be an async iterable of events (the SDK's stream); got ${value === null ? "null" : typeof value}.`);
}

/** Calls the iterator's `return()` and `close`, neither of which may throw into the caller's loop. */
function closeQuietly(iterator: AsyncIterator<unknown>, close: (() => void) | undefined): void {
  try {
    close?.();
  } catch {
    // The stream is being left: a failure to close it is not the caller's.
  }
  try {
    Promise.resolve(iterator.return?.()).catch(() => undefined);
  } catch {
    // As above.
  }
}

/** An SDK stream's AbortController (`controller`: OpenAI's and Anthropic's `Stream`), aborted. */
function abortSource(source: unknown): void {
  const controller = (source as { controller?: { abort?: unknown } } | null)?.controller;
  if (typeof controller?.abort === "function") (controller as AbortController).abort();
}

/** Whether a value has a recorded stream's shape: an object with an `events` array. */
function isRecorded(value: unknown): value is Record<string, unknown> & { events: unknown[] } {
  return value !== null && typeof value === "object" && Array.isArray((value as { events?: unknown }).events);
}

/** A served output as recorded events, or a clear error naming what it is instead. */
function asRecorded(served: unknown): Record<string, unknown> & { events: unknown[] } {
  if (!isRecorded(served)) {
    throw new TracewrightError(
      "STREAM_NOT_RECORDED",
      `The output served for a streamed model call is not a recorded stream ({ events: [...] }); got ${served === null ? "null" : Array.isArray(served) ? "an array" : typeof served}${typeof served === "object" && served !== null ? ` with keys ${Object.keys(served).join(", ") || "none"}` : ""}. The recording made this call unstreamed (a plain llm() or Converse call), or a fork's state for it is in another shape: record the run again with the streaming code, or give the fork a state { events: [...] }.`,
    );
  }
  return served;
}

/**
 * Token usage merged from a stream's events, later counts winning: an event's own `usage`
 * (OpenAI's last chunk, Anthropic's `message_delta`), its `message.usage` (Anthropic's
 * `message_start`) and its `metadata.usage` (Bedrock's `metadata`). LangChain's chunks carry
 * `usage_metadata` as parts that add up (its `AIMessageChunk.concat` sums them: the input tokens
 * in one chunk, the output tokens in another): summed, nested details too, when no event has
 * usage of the other shapes.
 */
export function mergedUsage(events: readonly unknown[]): Record<string, unknown> | undefined {
  let usage: Record<string, unknown> | undefined;
  let summed: Record<string, unknown> | undefined;
  for (const event of events) {
    if (event === null || typeof event !== "object") continue;
    const e = event as { usage?: unknown; message?: { usage?: unknown } | null; metadata?: { usage?: unknown } | null; usage_metadata?: unknown };
    for (const found of [e.message?.usage, e.metadata?.usage, e.usage]) {
      if (!isCounts(found)) continue;
      usage = { ...usage };
      for (const [key, count] of Object.entries(found)) if (count !== null && count !== undefined) usage[key] = count;
    }
    if (isCounts(e.usage_metadata)) summed = addCounts(summed ?? {}, e.usage_metadata);
  }
  return usage ?? summed;
}

function isCounts(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `part`'s numbers added into `total`'s, one level of nested counts too (`input_token_details`). */
function addCounts(total: Record<string, unknown>, part: Record<string, unknown>, depth = 0): Record<string, unknown> {
  for (const [key, count] of Object.entries(part)) {
    const had = total[key];
    if (typeof count === "number" && Number.isFinite(count)) total[key] = (typeof had === "number" ? had : 0) + count;
    else if (depth === 0 && isCounts(count)) total[key] = addCounts(isCounts(had) ? had : {}, count, 1);
  }
  return total;
}

/**
 * Events handed from the step reading the model's stream to the caller reading theirs, in order,
 * as they come (buffered while the caller is slower); the caller's read ends with the stream, or
 * throws its error. Read once, as an SDK's own stream; a reader that stops early (a `break`)
 * tells the step, which closes the model's stream there. Its state is in private fields: a run
 * that returns the stream records an empty object for it, the same on replay, not how far the
 * step had read.
 */
export class EventChannel<E> implements AsyncIterable<E> {
  readonly #events: E[] = [];
  #ended = false;
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #taken = false;
  #onAbandon: () => void = () => undefined;

  /** Called when the reader stops before the end. */
  abandoned(tell: () => void): void {
    this.#onAbandon = tell;
  }

  push(event: E): void {
    this.#events.push(event);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: unknown): void {
    this.#failure = { error };
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    if (this.#taken) throw new TypeError("A model's stream can be read once, as the SDK's own.");
    this.#taken = true;
    return this.#read();
  }

  async *#read(): AsyncGenerator<E> {
    let next = 0;
    try {
      for (;;) {
        if (next < this.#events.length) {
          const event = this.#events[next] as E;
          // Handed on, it is the caller's: the channel keeps no copy (the step has its own list).
          this.#events[next++] = undefined as E;
          yield event;
          continue;
        }
        if (this.#failure !== undefined) throw this.#failure.error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      if (!this.#ended && this.#failure === undefined) this.#onAbandon();
    }
  }
}
