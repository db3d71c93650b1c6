import { diag } from "@opentelemetry/api";
import type { Context } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** What the export queue has done, for `tracing.stats()`. */
export interface ExportStats {
  /** Spans handed to the exporter and acknowledged. */
  exported: number;
  /** Spans dropped because the queue was over its byte budget. */
  dropped: number;
  droppedBytes: number;
  /** Export calls that failed (the exporter retries inside a call; this counts what it gave up on). A batch that failed for a reason that may pass is queued again and retried. */
  failedExports: number;
  /** Spans given up on: refused for good by the collector (a 4xx answer but 408 and 429), or still unexported at shutdown. */
  failedSpans: number;
  /** Bytes waiting now. */
  queuedBytes: number;
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
}

/** Roughly what a span weighs: its string attributes and events, where its states live. */
function weigh(span: ReadableSpan): number {
  let bytes = 200;
  for (const value of Object.values(span.attributes)) bytes += typeof value === "string" ? value.length : 16;
  for (const event of span.events) for (const value of Object.values(event.attributes ?? {})) bytes += typeof value === "string" ? value.length : 16;
  return bytes;
}

/** The wait before retrying a failed batch: doubling from 1 s up to 30 s, with ±20 % jitter. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Whether a failed export will fail again however often it is retried: the collector refused
 * the batch with a 4xx status (bad token, malformed, too large), but 408 and 429, which ask to
 * come back later. Broken connections, timeouts and 5xx answers are worth retrying.
 */
function refusedForGood(error: Error | undefined): boolean {
  const status = (error as { code?: unknown } | undefined)?.code;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * A span processor whose queue is bounded in bytes, not spans: a run with 1 MB states cannot
 * grow it past its budget. It never blocks and never throws: past the budget spans are dropped,
 * counted and reported once through the diagnostic logger (and `stats()`); exports run one at a
 * time in the background, so a slow or absent collector costs the agent nothing but memory
 * up to the budget. A batch whose export fails (the collector down, restarting, or answering
 * 503) goes back to the head of the queue, still counted in its budget, and is retried with
 * backoff; delivery is at least once, which the collector's idempotent ingest makes exactly once.
 */
export class ByteBoundedSpanProcessor implements SpanProcessor {
  private readonly queue: { span: ReadableSpan; bytes: number }[] = [];
  private readonly maxQueueBytes: number;
  private readonly maxBatchSpans: number;
  private readonly maxBatchBytes: number;
  private readonly delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** Set while backing off after a failed export; the next attempt starts when it fires. */
  private retryTimer: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  private warned = false;
  private stopped = false;
  readonly counters: ExportStats = { exported: 0, dropped: 0, droppedBytes: 0, failedExports: 0, failedSpans: 0, queuedBytes: 0 };

  constructor(
    private readonly exporter: SpanExporter,
    options: ExportQueueOptions = {},
  ) {
    const fromEnv = Number(process.env.TRACEWRIGHT_EXPORT_QUEUE_BYTES);
    this.maxQueueBytes = options.maxQueueBytes ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 64 * 1024 * 1024);
    this.maxBatchSpans = options.maxBatchSpans ?? 512;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.delayMs = options.scheduledDelayMs ?? 1000;
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) return;
    const bytes = weigh(span);
    if (this.counters.queuedBytes + bytes > this.maxQueueBytes) {
      this.counters.dropped++;
      this.counters.droppedBytes += bytes;
      if (!this.warned) {
        this.warned = true;
        diag.warn(`tracewright: the export queue is over its ${this.maxQueueBytes}-byte budget (is the collector down or slow?); spans are being dropped and counted in tracing.stats()`);
      }
      return;
    }
    this.queue.push({ span, bytes });
    this.counters.queuedBytes += bytes;
    if (this.counters.queuedBytes >= this.maxBatchBytes || this.queue.length >= this.maxBatchSpans) this.kick();
    else this.schedule();
  }

  /** Exports everything queued, now (backoff or not); stops at the first failed export, leaving the rest queued for the background retry. */
  async forceFlush(): Promise<void> {
    const failures = this.counters.failedExports;
    while ((this.queue.length > 0 || this.inFlight !== undefined) && this.counters.failedExports === failures) {
      if (this.inFlight !== undefined) await this.inFlight;
      else this.kick(true);
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.queue.length > 0) {
      diag.warn(`tracewright: shutting down with ${this.queue.length} spans not exported (the last export failed); they are counted in tracing.stats().failedSpans`);
      this.counters.failedSpans += this.queue.length;
      this.counters.queuedBytes = 0;
      this.queue.length = 0;
    }
    await this.exporter.shutdown();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.delayMs);
    // A pending export must not keep a finished program alive; flush() is how to wait for it.
    this.timer.unref();
  }

  /** Starts the next export if none is running (nor, unless forced, backing off); each export starts the next when it ends. */
  private kick(force = false): void {
    if (this.inFlight !== undefined || this.queue.length === 0 || (this.retryTimer !== undefined && !force)) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const entries: { span: ReadableSpan; bytes: number }[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && entries.length < this.maxBatchSpans && (entries.length === 0 || bytes + (this.queue[0]?.bytes ?? 0) <= this.maxBatchBytes)) {
      const next = this.queue.shift() as { span: ReadableSpan; bytes: number };
      entries.push(next);
      bytes += next.bytes;
    }
    const batch = entries.map((e) => e.span);
    this.inFlight = new Promise<"done" | "retry">((resolve) => {
      const failed = (error: Error | undefined, what: string): void => {
        this.counters.failedExports++;
        if (refusedForGood(error) || this.stopped) {
          this.counters.failedSpans += batch.length;
          diag.warn(`tracewright: exporting ${batch.length} spans ${what}, and retrying would not help; they are counted in tracing.stats().failedSpans: ${error?.message ?? "unknown error"}`);
          resolve("done");
        } else {
          diag.warn(`tracewright: exporting ${batch.length} spans ${what}; retrying with backoff: ${error?.message ?? "unknown error"}`);
          resolve("retry");
        }
      };
      try {
        this.exporter.export(batch, (result) => {
          if (result.code === ExportResultCode.SUCCESS) {
            this.counters.exported += batch.length;
            resolve("done");
          } else failed(result.error, "failed");
        });
      } catch (error) {
        failed(error instanceof Error ? error : new Error(String(error)), "threw");
      }
    }).then((outcome) => {
      this.inFlight = undefined;
      if (outcome === "retry") {
        // Back to the head of the queue, in order; its bytes never left the budget.
        this.queue.unshift(...entries);
        this.consecutiveFailures++;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.consecutiveFailures - 1)) * (0.8 + 0.4 * Math.random());
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, delay);
        this.retryTimer.unref();
        return;
      }
      this.consecutiveFailures = 0;
      this.counters.queuedBytes -= bytes;
      if (this.queue.length > 0) this.kick();
    });
  }
}
