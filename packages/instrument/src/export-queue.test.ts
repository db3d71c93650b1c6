import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { ByteBoundedSpanProcessor, otlpHeadersFromEnv } from "./export-queue.js";

// The export queue's delivery contract against a scripted exporter (the SpanExporter interface
// is the queue's only dependency): a batch whose export fails for a reason that may pass stays
// queued, within the byte budget, and is delivered once the collector takes it; a refusal for
// good and what is left at shutdown are counted; nothing is dropped but past the budget.

/** Answers each export with the next scripted outcome (then success), keeping every span id it was handed. */
class ScriptedExporter implements SpanExporter {
  readonly attempts: string[][] = [];
  readonly delivered: string[] = [];
  constructor(private readonly script: (Error | "ok")[]) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const ids = spans.map((s) => s.spanContext().spanId);
    this.attempts.push(ids);
    const next = this.script.shift() ?? "ok";
    if (next === "ok") {
      this.delivered.push(...ids);
      done({ code: ExportResultCode.SUCCESS });
    } else done({ code: ExportResultCode.FAILED, error: next });
  }
  async shutdown(): Promise<void> {}
}

/** What OTLPExporterError carries for an HTTP answer: its status in `code`. */
const httpError = (status: number): Error => Object.assign(new Error(`HTTP ${status}`), { code: status });
const refused = (): Error => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4318"), { code: "ECONNREFUSED" });

function setup(script: (Error | "ok")[], maxQueueBytes?: number) {
  const exporter = new ScriptedExporter(script);
  const queue = new ByteBoundedSpanProcessor(exporter, { scheduledDelayMs: 60_000, ...(maxQueueBytes === undefined ? {} : { maxQueueBytes }) });
  const tracer = new BasicTracerProvider({ spanProcessors: [queue] }).getTracer("test");
  const emit = (n: number, text = "x"): string[] => Array.from({ length: n }, () => {
    const span = tracer.startSpan("step", { attributes: { "input.value": text } });
    span.end();
    return span.spanContext().spanId;
  });
  return { exporter, queue, emit };
}

describe("the export queue keeps what the collector could not take yet", () => {
  it("retries a batch after a broken connection or a 503, and delivers each span once", async () => {
    const { exporter, queue, emit } = setup([refused(), httpError(503)]);
    const ids = emit(5);
    await queue.forceFlush();
    // The first attempt failed: the batch is still queued, nothing lost, nothing given up on.
    expect(queue.counters).toMatchObject({ exported: 0, failedExports: 1, failedSpans: 0, dropped: 0 });
    expect(queue.counters.queuedBytes).toBeGreaterThan(0);
    const later = emit(2);
    await queue.forceFlush();
    expect(queue.counters).toMatchObject({ exported: 0, failedExports: 2, failedSpans: 0 });
    await queue.forceFlush();
    expect(queue.counters).toMatchObject({ exported: 7, failedExports: 2, failedSpans: 0, dropped: 0, queuedBytes: 0 });
    // In order, the retried batch first, each span delivered exactly once.
    expect(exporter.delivered).toEqual([...ids, ...later]);
    expect(exporter.attempts[0]).toEqual(ids);
  });

  it("gives up on a batch the collector refuses for good (400), counting it", async () => {
    const { exporter, queue, emit } = setup([httpError(400)]);
    emit(3);
    await queue.forceFlush();
    await queue.forceFlush();
    expect(queue.counters).toMatchObject({ exported: 0, failedExports: 1, failedSpans: 3, queuedBytes: 0 });
    expect(exporter.attempts).toHaveLength(1);
  });

  it("retries 429 and 408, which ask to come back later", async () => {
    const { exporter, queue, emit } = setup([httpError(429), httpError(408)]);
    const ids = emit(2);
    for (let i = 0; i < 3; i++) await queue.forceFlush();
    expect(exporter.delivered).toEqual(ids);
    expect(queue.counters).toMatchObject({ exported: 2, failedExports: 2, failedSpans: 0 });
  });

  it("drops only past its byte budget while the collector is away, and counts the drop", async () => {
    const { exporter, queue, emit } = setup([refused()], 2_200);
    const kept = emit(2, "a".repeat(500));
    await queue.forceFlush();
    const more = emit(3, "b".repeat(500));
    // 2 spans of ~700 bytes are held for the retry; of 3 more, one fits the 2,200-byte budget.
    expect(queue.counters).toMatchObject({ dropped: 2, failedSpans: 0 });
    await queue.forceFlush();
    expect(exporter.delivered).toEqual([...kept, more[0]]);
    expect(queue.counters).toMatchObject({ exported: 3, dropped: 2, queuedBytes: 0 });
  });

  it("counts what is still unexported at shutdown as failed", async () => {
    const { queue, emit } = setup([refused(), refused()]);
    emit(4);
    await queue.shutdown();
    expect(queue.counters).toMatchObject({ exported: 0, failedSpans: 4, queuedBytes: 0 });
  });

  it("retries on its own, after a backoff, without a flush", async () => {
    const exporter = new ScriptedExporter([refused()]);
    const queue = new ByteBoundedSpanProcessor(exporter, { scheduledDelayMs: 1 });
    const tracer = new BasicTracerProvider({ spanProcessors: [queue] }).getTracer("test");
    tracer.startSpan("one").end();
    const deadline = Date.now() + 10_000;
    while (queue.counters.exported === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(queue.counters).toMatchObject({ exported: 1, failedExports: 1, failedSpans: 0 });
    expect(exporter.attempts).toHaveLength(2);
  });
});

describe("otlpHeadersFromEnv", () => {
  it("reads OTEL_EXPORTER_OTLP_HEADERS as the OTLP exporter does: URL-decoded, the traces variable over it, malformed pairs skipped", () => {
    expect(otlpHeadersFromEnv({})).toEqual({});
    expect(
      otlpHeadersFromEnv({
        OTEL_EXPORTER_OTLP_HEADERS: " Authorization=Bearer%20s3cret , X-Tenant = a%2Cb%3Dc ,novalue,=nokey,empty=,bad=%E0%A4%A,X-Over=general",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-over=traces",
      }),
    ).toEqual({ authorization: "Bearer s3cret", "x-tenant": "a,b=c", "x-over": "traces" });
  });
});
