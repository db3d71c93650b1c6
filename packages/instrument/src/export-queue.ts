import { ROOT_CONTEXT, context as otelContext } from "@opentelemetry/api";
import type { Context } from "@opentelemetry/api";
import { ExportResultCode, parseKeyPairsIntoRecord, suppressTracing } from "@opentelemetry/core";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { PayloadSink } from "./offload.js";
import { agentFor, otlpTlsFromEnv, refusal, send } from "./http-send.js";
import type { OtlpTls } from "./http-send.js";
import { backoffDelay } from "./retry.js";
import { warn } from "./safely.js";
import type { RequestSigner } from "./sigv4.js";

/**
 * The context every export and payload upload runs in: the root context (outside any run:
 * nothing the exporter reads — its clock, a backoff's `Math.random` — lands in a deterministic
 * run as the agent's steps) with tracing suppressed, as OpenTelemetry's own batch processor
 * exports. Without it, an http or undici instrumentation beside ours (auto-instrumentation,
 * ADOT in Lambda) records a client span of every export request, which is exported with the next
 * batch, which records another: a span of telemetry about telemetry for every batch, for ever.
 */
const EXPORT_CONTEXT = suppressTracing(ROOT_CONTEXT);

/** What the export queue has done, for `tracing.stats()`. */
export interface ExportStats {
  /** Spans handed to the exporter and acknowledged. */
  exported: number;
  /** Spans dropped because the queue was over its byte budget. */
  dropped: number;
  droppedBytes: number;
  /** Export calls that failed, each attempt counted. A batch that failed for a reason that may pass is queued again and retried. */
  failedExports: number;
  /** Spans given up on: refused for good by the collector (a 3xx or 4xx answer but 408 and 429), or still unexported at shutdown. */
  failedSpans: number;
  /** Bytes waiting now, spans and payloads. */
  queuedBytes: number;
  /** Payloads (states sent by reference) the collector acknowledged. */
  payloadsExported: number;
  /** Payloads dropped because the queue was over its byte budget. */
  droppedPayloads: number;
  /** Payloads given up on after every retry (collector down too long, or refusing them). */
  failedPayloads: number;
}

/** Zero counters. */
export function emptyStats(): ExportStats {
  return { exported: 0, dropped: 0, droppedBytes: 0, failedExports: 0, failedSpans: 0, queuedBytes: 0, payloadsExported: 0, droppedPayloads: 0, failedPayloads: 0 };
}

/**
 * How whole payloads reach the collector. `put` resolves once the collector has the payload,
 * rejects with a {@link PayloadRefused} for an answer retrying cannot change (400, 401, 413, 501)
 * and with any other error for one it may (connection refused, timeout, 5xx, 429).
 */
export interface PayloadTransport {
  put(hash: string, body: string): Promise<void>;
}

/** A payload the collector refused for good: not retried. */
export class PayloadRefused extends Error {
  override readonly name = "PayloadRefused";
}

/**
 * `PUT <endpoint>/<sha256>` with the JSON text as the body (gzipped when `compression`, by default
 * the OTLP exporter's setting, says so: `otlpCompressionFromEnv`), over node:http(s) as the spans
 * go (http-send.ts: the OTLP environment's TLS files, no redirect followed), with the OTLP exporter's
 * headers (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TRACES_HEADERS`: e.g. the bearer
 * token a collector bound beyond loopback requires), signed by `sign` when given (SigV4, sigv4.ts).
 */
export function httpPayloadTransport(endpoint: string, options: { headers?: Record<string, string>; timeoutMs?: number; sign?: RequestSigner; compression?: OtlpCompression; tls?: OtlpTls } = {}): PayloadTransport {
  const base = endpoint.replace(/\/+$/, "");
  const compression = options.compression ?? otlpCompressionFromEnv();
  const headers = { ...otlpHeadersFromEnv(), ...options.headers, "content-type": "application/json", ...encodingHeader(compression) };
  const timeoutMs = options.timeoutMs ?? otlpTimeoutFromEnv();
  const sign = options.sign;
  const agent = agentFor(new URL(base), options.tls ?? otlpTlsFromEnv());
  return {
    async put(hash, json) {
      const url = new URL(`${base}/${hash}`);
      // The hash stays the JSON text's: the collector checks it once it has inflated the body.
      const body = await encodeBody(json, compression);
      const sent = sign === undefined ? headers : await sign("PUT", url, headers, body);
      const answer = await send(url, { method: "PUT", headers: sent, body, timeoutMs, agent });
      if (answer.status >= 200 && answer.status < 300) return;
      const error = refusal(answer, `PUT ${url.href}`, answer.body.toString("utf8", 0, 1200).slice(0, 300));
      // What waiting may change: a 429, a 5xx but 501 (with the wait a 429 or 503 asked for). The rest, a redirect among them, is final.
      if (answer.status === 429 || (answer.status >= 500 && answer.status !== 501)) throw error;
      throw new PayloadRefused(error.message);
    },
  };
}

/**
 * The headers the OTLP exporter sends, read as it reads them: `OTEL_EXPORTER_OTLP_HEADERS`, then
 * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` over it, each `k=v,k2=v2` with URL-encoded keys and values
 * (the W3C baggage format the spec names), parsed by OpenTelemetry's own `parseKeyPairsIntoRecord`,
 * so that a payload carries exactly the token the spans carry. A malformed or empty pair is
 * skipped, as the exporter skips it. Keys lower-cased: HTTP headers are case-insensitive, and
 * two spellings of one must not both be sent.
 */
export function otlpHeadersFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const [key, value] of Object.entries(parseKeyPairsIntoRecord(text?.trim()))) out[key.toLowerCase()] = value;
  }
  return out;
}

/** The OTLP exporter's default request timeout (the specification's): 10 s. */
export const OTLP_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The request timeout the OTLP exporter uses, read as it reads it: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`,
 * else `OTEL_EXPORTER_OTLP_TIMEOUT`, in milliseconds, else 10 s — so that a payload, and a
 * signed export, gives up on a collector that never answers when the spans would. A value that
 * is not a positive number is warned of and ignored, as the exporter ignores it.
 */
export function otlpTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"] as const) {
    const text = env[name]?.trim();
    if (text === undefined || text === "") continue;
    const ms = Number(text);
    // Past 2³¹ − 1 ms a timer fires at once: such a timeout is as good as none, and stays one.
    if (Number.isFinite(ms) && ms > 0) return Math.min(ms, 2 ** 31 - 1);
    warn(`tracewright: ${name} must be a number of milliseconds above 0; got ${JSON.stringify(env[name])}, ignored.`);
  }
  return OTLP_DEFAULT_TIMEOUT_MS;
}

/** The OTLP/HTTP encodings of exported spans Tracewright speaks. */
export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/**
 * The encoding spans are exported in, read as the OpenTelemetry specification has SDKs read it:
 * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, `http/protobuf` or
 * `http/json`; anything else (`grpc`, which Tracewright does not speak) is warned of and ignored.
 * Default: `http/json`, though the specification's is protobuf: JSON passes every front-end as
 * text, where protobuf (half the bytes, a tenth less of the collector's CPU) needs an API Gateway
 * REST API told it is binary (`binaryMediaTypes`), or is handed to the function mangled and lost.
 */
export function otlpProtocolFromEnv(env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  return otlpChoiceFromEnv(env, "PROTOCOL", OTLP_PROTOCOLS, "http/json");
}

/**
 * An OTLP exporter setting that is one of a few words: `OTEL_EXPORTER_OTLP_TRACES_<name>`, else
 * `OTEL_EXPORTER_OTLP_<name>`, else `fallback`; a value not `allowed` is warned of and skipped.
 */
function otlpChoiceFromEnv<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const text = env[variable]?.trim();
    if (text === undefined || text === "") continue;
    if ((allowed as readonly string[]).includes(text)) return text as T;
    warn(`tracewright: ${variable} must be ${allowed.join(" or ")}; got ${JSON.stringify(env[variable])}, ignored.`);
  }
  return fallback;
}

/** How a request body is sent: `gzip`, or as it is (`none`). */
export type OtlpCompression = "gzip" | "none";

/**
 * The body compression the OTLP exporter uses, read as it reads it:
 * `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, else `OTEL_EXPORTER_OTLP_COMPRESSION`, `gzip` or
 * `none`, else none — so that payloads and signed exports are compressed when the spans are. Any
 * other value is warned of and ignored, as the exporter ignores it.
 */
export function otlpCompressionFromEnv(env: NodeJS.ProcessEnv = process.env): OtlpCompression {
  return otlpChoiceFromEnv(env, "COMPRESSION", ["gzip", "none"], "none");
}

const gzip = promisify(gzipCallback);

/** A request body as sent: gzipped on libuv's thread pool, off the agent's event loop, when asked. */
export async function encodeBody(body: string | Uint8Array, compression: OtlpCompression): Promise<string | Uint8Array> {
  return compression === "gzip" ? gzip(body) : body;
}

/** The `content-encoding` header a body encoded by {@link encodeBody} is sent with. */
export function encodingHeader(compression: OtlpCompression): Record<string, string> {
  return compression === "gzip" ? { "content-encoding": "gzip" } : {};
}

export interface ExportQueueOptions {
  /** The most bytes of spans waiting for export; beyond, new spans are dropped and counted. Env: `TRACEWRIGHT_EXPORT_QUEUE_BYTES`. Default: 64 MiB. */
  maxQueueBytes?: number;
  /** Spans per export call. Default: 512. */
  maxBatchSpans?: number;
  /** Bytes per export call. Default: 4 MiB. */
  maxBatchBytes?: number;
  /** How often a partial batch is sent. Default: 1000 ms. */
  scheduledDelayMs?: number;
  /**
   * Exports in flight at once. Two keep the collector busy while the agent serializes the next
   * batch, where one in flight made each wait for the other (a collector on loopback ingesting
   * an agent's 10,000 steps/s sat idle a fifth of the time). Default: 2.
   */
  maxConcurrentExports?: number;
  /** Attempts to send one payload before it is counted as failed. Default: 6. */
  payloadAttempts?: number;
  /** The backoff's base for payloads: retry n waits between half and all of this·2ⁿ, capped at 4 s (equal jitter: a floor, since the attempts are counted). Default: 250 ms. */
  payloadRetryDelayMs?: number;
}

/** Roughly what a span weighs: its string attributes and events, where its states live. */
function weigh(span: ReadableSpan): number {
  let bytes = 200;
  for (const value of Object.values(span.attributes)) bytes += typeof value === "string" ? value.length : 16;
  for (const event of span.events) for (const value of Object.values(event.attributes ?? {})) bytes += typeof value === "string" ? value.length : 16;
  return bytes;
}

/**
 * The wait before retrying a failed batch: 1 s, doubling to at most 30 s, ±20 % (`retry.ts`'s
 * backoff with its random factor kept in [0.8, 1.2)): a batch is retried until it is taken, so
 * the jitter only spreads agents apart, and no retry fires at once after a failure.
 */
const BATCH_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 30_000, random: () => 0.8 + 0.4 * Math.random() };
/**
 * A payload has a fixed number of attempts, so its waits keep a floor (equal jitter: half the
 * cap, plus up to the other half): six attempts span at least 3.9 s of a collector restart,
 * where full jitter could spend them all in a few hundred milliseconds.
 */
const equalJitter = (): number => 0.5 + 0.5 * Math.random();
/** The cap of one wait between a payload's attempts. */
const PAYLOAD_MAX_DELAY_MS = 4_000;
/** The most of a `Retry-After` a payload's next attempt waits: six attempts then span at most a minute. */
const PAYLOAD_MAX_RETRY_AFTER_MS = 10_000;

/**
 * Whether a failed export will fail again however often it is retried: the collector refused
 * the batch with a 4xx status (bad token, malformed, too large), but 408 and 429, which ask to
 * come back later, or redirected it (a 3xx: the endpoint is not the collector). Broken connections, timeouts and 5xx answers are worth retrying.
 */
function refusedForGood(error: Error | undefined): boolean {
  const status = (error as { code?: unknown } | undefined)?.code;
  // A redirect too: the endpoint is not the collector, and waiting will not make it one; and a 501.
  return typeof status === "number" && ((status >= 300 && status < 500 && status !== 408 && status !== 429) || status === 501);
}

/**
 * The wait a failed export's answer asked for, in ms (`Retry-After` on a 429 or 503, carried as
 * `retryAfterMs` on the error by the exporter and the payload transport, http-send.ts `refusal`); 0 when none.
 */
function retryAfterOf(error: Error | undefined): number {
  const ms = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * A first-in first-out queue whose front is taken in constant time. `Array.prototype.shift`
 * moves every element behind the first once an array is large (a backing store in V8's large
 * object space cannot be trimmed in place): with 30,000 spans queued behind a slow collector,
 * taking a 512-span batch by shift() was a fifth of an exporting agent's CPU. Here a head index
 * advances, and the array is cut once the head has passed half of it (amortized constant).
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    // Released now, not at the next cut: a taken span is garbage once exported.
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `items` back at the front, in their order (a batch to retry). */
  unshiftAll(items: readonly T[]): void {
    if (items.length <= this.head) {
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) this.items[this.head + i] = items[i];
    } else {
      this.items = [...items, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }
}

/**
 * A span processor whose queue is bounded in bytes, not spans: a run with 1 MB states cannot
 * grow it past its budget. It never blocks and never throws: past the budget spans are dropped,
 * counted and reported once through the diagnostic logger (and `stats()`); exports run in the
 * background (two at once by default), so a slow or absent collector costs the agent nothing but
 * memory up to the budget. A batch whose export fails (the collector down, restarting, or answering
 * 503) goes back to the head of the queue, still counted in its budget, and is retried with
 * backoff; delivery is at least once, which the collector's idempotent ingest makes exactly once.
 */
export class ByteBoundedSpanProcessor implements SpanProcessor, PayloadSink {
  private readonly queue = new Fifo<{ span: ReadableSpan; bytes: number }>();
  private readonly maxQueueBytes: number;
  private readonly maxBatchSpans: number;
  private readonly maxBatchBytes: number;
  /**
   * The most a batch may weigh after the collector refused one as too large (413): half of what
   * it refused, for the rest of the process. The queue weighs a span by its strings, not by the
   * encoded body, whose limit it cannot know (a Function URL's 6 MB, an API Gateway's 10 MB).
   */
  private tooLargeBytes = Number.POSITIVE_INFINITY;
  /** Failed exports but those sent again at once in smaller batches: what stops a flush. */
  private failuresThatStopFlush = 0;
  private readonly delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The exports running now: at most {@link maxConcurrent}. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxConcurrent: number;
  /** Set while backing off after a failed export; the next attempt starts when it fires. */
  private retryTimer: NodeJS.Timeout | undefined;
  /** When {@link retryTimer} fires (performance.now(): the clock deterministic runs do not route). */
  private retryAt = 0;
  private consecutiveFailures = 0;
  private warned = false;
  private stopped = false;
  readonly counters: ExportStats = emptyStats();
  /** Payloads waiting, in arrival order; the head is the one being sent. */
  private readonly payloads = new Fifo<{ hash: string; body: string; bytes: number }>();
  /** Hashes queued or recently sent: a state passed from step to step is sent once. */
  private readonly known = new Set<string>();
  private payloadLoop: Promise<void> | undefined;
  private readonly payloadAttempts: number;
  private readonly payloadRetryDelayMs: number;
  /** See {@link PayloadSink}: Infinity when no transport was given (every state rides inline). */
  readonly maxInlineBytes: number;

  constructor(
    private readonly exporter: SpanExporter,
    options: ExportQueueOptions = {},
    private readonly transport?: PayloadTransport,
    maxInlineBytes = Infinity,
  ) {
    const fromEnv = Number(process.env.TRACEWRIGHT_EXPORT_QUEUE_BYTES);
    this.maxQueueBytes = options.maxQueueBytes ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 64 * 1024 * 1024);
    this.maxBatchSpans = options.maxBatchSpans ?? 512;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.delayMs = options.scheduledDelayMs ?? 1000;
    this.maxConcurrent = Math.max(1, Math.floor(options.maxConcurrentExports ?? 2));
    this.payloadAttempts = Math.max(1, options.payloadAttempts ?? 6);
    this.payloadRetryDelayMs = options.payloadRetryDelayMs ?? 250;
    this.maxInlineBytes = transport === undefined ? Infinity : maxInlineBytes;
  }

  /**
   * Queues a whole payload within the same byte budget as spans; sent one at a time in the
   * background, retried with backoff while the collector is down. Never blocks, never throws.
   */
  offerPayload(hash: string, body: string): boolean {
    if (this.stopped || this.transport === undefined) return false;
    if (this.known.has(hash)) return true;
    const bytes = body.length;
    if (!this.admit(bytes, "droppedPayloads")) return false;
    this.remember(hash);
    this.payloads.push({ hash, body, bytes });
    // Outside the step's context: nothing the sender calls is recorded as part of the run, nor at all.
    this.payloadLoop ??= otelContext.with(EXPORT_CONTEXT, () => this.sendPayloads());
    return true;
  }

  private remember(hash: string): void {
    this.known.add(hash);
    if (this.known.size > 1024) this.known.delete(this.known.values().next().value as string);
  }

  /** Sends queued payloads until none is left; then, in the same tick, marks the loop as ended. */
  private async sendPayloads(): Promise<void> {
    const transport = this.transport as PayloadTransport;
    // Never ends synchronously, so the caller has stored this loop before it clears it.
    await Promise.resolve();
    try {
      for (let next = this.payloads.peek(); next !== undefined; next = this.payloads.peek()) {
        await this.sendOne(transport, next);
        this.payloads.shift();
        this.counters.queuedBytes -= next.bytes;
      }
    } finally {
      this.payloadLoop = undefined;
    }
  }

  /** One payload, retried with backoff on what retrying can change; counted either way. */
  private async sendOne(transport: PayloadTransport, next: { hash: string; bytes: number; body: string }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.put(next.hash, next.body);
        this.counters.payloadsExported++;
        return;
      } catch (error) {
        if (error instanceof PayloadRefused || attempt >= this.payloadAttempts) {
          this.counters.failedPayloads++;
          // Sent again if a later step offers it: the collector may be back by then.
          this.known.delete(next.hash);
          warn(`tracewright: sending payload ${next.hash} (${next.bytes} bytes) failed after ${attempt} attempt(s), counted in tracing.stats().failedPayloads: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        // At least what the collector asked (`Retry-After`), up to PAYLOAD_MAX_RETRY_AFTER_MS: a
        // payload's attempts are counted, and flush() waits for them, so no wait is a span batch's 30 s.
        const asked = Math.min(retryAfterOf(error instanceof Error ? error : undefined), PAYLOAD_MAX_RETRY_AFTER_MS);
        const delay = Math.max(backoffDelay({ baseDelayMs: this.payloadRetryDelayMs, maxDelayMs: PAYLOAD_MAX_DELAY_MS, random: equalJitter }, attempt - 1), asked);
        // Unref'd, as the batch timer is: flush() is how to wait for a retry.
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  /**
   * Takes `bytes` into the budget (spans and payloads share it), or counts them as dropped under
   * `counter` and warns once: the one admission check of the queue.
   */
  private admit(bytes: number, counter: "dropped" | "droppedPayloads"): boolean {
    if (this.counters.queuedBytes + bytes > this.maxQueueBytes) {
      this.counters[counter]++;
      this.counters.droppedBytes += bytes;
      this.warnOverBudget();
      return false;
    }
    this.counters.queuedBytes += bytes;
    return true;
  }

  private warnOverBudget(): void {
    if (this.warned) return;
    this.warned = true;
    warn(`tracewright: the export queue is over its ${this.maxQueueBytes}-byte budget (is the collector down or slow?); spans and payloads are being dropped and counted in tracing.stats()`);
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) return;
    const bytes = weigh(span);
    if (!this.admit(bytes, "dropped")) return;
    this.queue.push({ span, bytes });
    if (this.counters.queuedBytes >= this.maxBatchBytes || this.queue.length >= this.maxBatchSpans) this.kick();
    else this.schedule();
  }

  /**
   * Exports every queued span now (backoff or not), stopping at the first failed export and
   * leaving the rest queued for the background retry; then waits for queued payloads, which are
   * sent or given up on within their bounded retries.
   */
  async forceFlush(): Promise<void> {
    const failures = this.failuresThatStopFlush;
    while ((this.queue.length > 0 || this.inFlight.size > 0) && this.failuresThatStopFlush === failures) {
      if (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      else this.kick(true);
    }
    while (this.payloadLoop !== undefined) await this.payloadLoop;
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    // An export that started as another ended (the flush stopped at a failure) ends first: it is
    // counted, exported or failed, once; stopped, nothing starts after it, nor is it retried.
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    if (this.queue.length > 0) {
      warn(`tracewright: shutting down with ${this.queue.length} spans not exported (the last export failed); they are counted in tracing.stats().failedSpans`);
      this.counters.failedSpans += this.queue.length;
      for (let entry = this.queue.shift(); entry !== undefined; entry = this.queue.shift()) this.counters.queuedBytes -= entry.bytes;
    }
    await this.exporter.shutdown();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    // Outside any run's context (see startExport), and holding none alive.
    this.timer = otelContext.with(EXPORT_CONTEXT, () =>
      setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, this.delayMs),
    );
    // A pending export must not keep a finished program alive; flush() is how to wait for it.
    this.timer.unref();
  }

  /** The next attempt, `delayMs` from now (replacing one planned). */
  private retryIn(delayMs: number): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryAt = performance.now() + delayMs;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delayMs);
    this.retryTimer.unref();
  }

  /** Starts exports up to {@link maxConcurrent} (unless, not forced, backing off); each export starts the next when it ends. */
  private kick(force = false): void {
    // In the root context, whoever asked (a span's end, inside a step): the export's promise and
    // its outcome's handling — a retry's jittered backoff reads Math.random — must not run in a
    // deterministic run's context, which would record those reads as the agent's steps.
    otelContext.with(EXPORT_CONTEXT, () => this.kickNow(force));
  }

  private kickNow(force: boolean): void {
    if (this.stopped || this.queue.length === 0 || (this.retryTimer !== undefined && !force)) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    while (this.inFlight.size < this.maxConcurrent && this.queue.length > 0) this.startExport();
  }

  /** One batch from the head of the queue, exported; back at the head, with backoff, when it fails and may succeed later. */
  private startExport(): void {
    const entries: { span: ReadableSpan; bytes: number }[] = [];
    let bytes = 0;
    const maxBytes = Math.min(this.maxBatchBytes, this.tooLargeBytes);
    while (this.queue.length > 0 && entries.length < this.maxBatchSpans && (entries.length === 0 || bytes + (this.queue.peek()?.bytes ?? 0) <= maxBytes)) {
      const next = this.queue.shift() as { span: ReadableSpan; bytes: number };
      entries.push(next);
      bytes += next.bytes;
    }
    const batch = entries.map((e) => e.span);
    // What the collector asked to wait before this batch comes back, if it failed and did.
    let askedMs = 0;
    const running: Promise<void> = new Promise<"done" | "retry" | "split">((resolve) => {
      const failed = (error: Error | undefined, what: string): void => {
        this.counters.failedExports++;
        // Too large for the collector: sent again at once in smaller batches, not given up on (a lone span too large is).
        if ((error as { code?: unknown } | undefined)?.code === 413 && entries.length > 1 && !this.stopped) {
          this.tooLargeBytes = Math.max(1, Math.floor(bytes / 2));
          resolve("split");
          warn(`tracewright: the collector refused ${batch.length} spans as too large (413); sending them again in batches of at most ${this.tooLargeBytes} bytes`);
          return;
        }
        this.failuresThatStopFlush++;
        // Settled before the warning: a diagnostic logger that throws must not leave the export in flight for ever.
        if (refusedForGood(error) || this.stopped) {
          this.counters.failedSpans += batch.length;
          resolve("done");
          warn(`tracewright: exporting ${batch.length} spans ${what}, and retrying would not help; they are counted in tracing.stats().failedSpans: ${error?.message ?? "unknown error"}`);
        } else {
          askedMs = retryAfterOf(error);
          resolve("retry");
          warn(`tracewright: exporting ${batch.length} spans ${what}; retrying with backoff: ${error?.message ?? "unknown error"}`);
        }
      };
      try {
        // In the root context, not the context of the span whose end started it: the exporter's
        // own clock reads (its retry deadline, `Date.now()`) must not land in a deterministic run,
        // which would record them as the agent's — each such step a span, exported the same way.
        otelContext.with(EXPORT_CONTEXT, () =>
          this.exporter.export(batch, (result) => {
            if (result.code === ExportResultCode.SUCCESS) {
              this.counters.exported += batch.length;
              resolve("done");
            } else failed(result.error, "failed");
          }),
        );
      } catch (error) {
        failed(error instanceof Error ? error : new Error(String(error)), "threw");
      }
    }).then((outcome) => {
      this.inFlight.delete(running);
      if (outcome === "split") {
        this.queue.unshiftAll(entries);
        this.kick(true);
        return;
      }
      if (outcome === "retry") {
        // Back to the head of the queue, its spans in order; its bytes never left the budget. (Of two
        // batches failing together, the later failure comes back first: delivery order across
        // batches was never promised — ingest is idempotent, and a run is rebuilt by key and seq.)
        this.queue.unshiftAll(entries);
        // What the collector asked to wait, up to the backoff's own cap.
        const asked = Math.min(askedMs, BATCH_BACKOFF.maxDelayMs);
        // One backoff round for the queue: a second batch failing meanwhile neither starts
        // another nor counts as one more consecutive failure — but waits as long as it was asked.
        if (this.retryTimer !== undefined) {
          if (performance.now() + asked > this.retryAt) this.retryIn(asked);
          return;
        }
        this.consecutiveFailures++;
        this.retryIn(Math.max(backoffDelay(BATCH_BACKOFF, this.consecutiveFailures - 1), asked));
        return;
      }
      // A success beside a batch waiting out its backoff does not end the round.
      if (this.retryTimer === undefined) this.consecutiveFailures = 0;
      this.counters.queuedBytes -= bytes;
      if (this.queue.length > 0) this.kick();
    });
    this.inFlight.add(running);
  }
}
