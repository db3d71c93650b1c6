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
  /** Export calls that failed (the exporter retries inside a call; this counts what it gave up on). */
  failedExports: number;
  /** Spans that were in failed exports. */
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

/**
 * A span processor whose queue is bounded in bytes, not spans: a run with 1 MB states cannot
 * grow it past its budget. It never blocks and never throws: past the budget spans are dropped,
 * counted and reported once through the diagnostic logger (and `stats()`); exports run one at a
 * time in the background, so a slow or absent collector costs the agent nothing but memory
 * up to the budget.
 */
export class ByteBoundedSpanProcessor implements SpanProcessor {
  private readonly queue: { span: ReadableSpan; bytes: number }[] = [];
  private readonly maxQueueBytes: number;
  private readonly maxBatchSpans: number;
  private readonly maxBatchBytes: number;
  private readonly delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
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

  async forceFlush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight !== undefined) {
      if (this.inFlight !== undefined) await this.inFlight;
      else this.kick();
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
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

  /** Starts the next export if none is running; each export starts the next when it ends. */
  private kick(): void {
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    const batch: ReadableSpan[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < this.maxBatchSpans && (batch.length === 0 || bytes + (this.queue[0]?.bytes ?? 0) <= this.maxBatchBytes)) {
      const next = this.queue.shift() as { span: ReadableSpan; bytes: number };
      batch.push(next.span);
      bytes += next.bytes;
    }
    this.inFlight = new Promise<void>((resolve) => {
      try {
        this.exporter.export(batch, (result) => {
          if (result.code === ExportResultCode.SUCCESS) this.counters.exported += batch.length;
          else {
            this.counters.failedExports++;
            this.counters.failedSpans += batch.length;
            diag.warn(`tracewright: exporting ${batch.length} spans failed: ${result.error?.message ?? "unknown error"}`);
          }
          resolve();
        });
      } catch (error) {
        this.counters.failedExports++;
        this.counters.failedSpans += batch.length;
        diag.warn(`tracewright: exporting ${batch.length} spans threw: ${error instanceof Error ? error.message : String(error)}`);
        resolve();
      }
    }).then(() => {
      this.counters.queuedBytes -= bytes;
      this.inFlight = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }
}
