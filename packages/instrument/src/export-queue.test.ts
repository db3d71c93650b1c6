import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { ByteBoundedSpanProcessor, Fifo, otlpHeadersFromEnv } from "./export-queue.js";

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

  it("gives up on a redirect and a 501 too: the endpoint is not a collector, and waiting will not make it one", async () => {
    for (const status of [301, 501]) {
      const { exporter, queue, emit } = setup([httpError(status)]);
      emit(2);
      await queue.forceFlush();
      await queue.forceFlush();
      expect(queue.counters, String(status)).toMatchObject({ exported: 0, failedExports: 1, failedSpans: 2, queuedBytes: 0 });
      expect(exporter.attempts).toHaveLength(1);
    }
  });

  it("sends a batch the collector refused as too large (413) again at once in smaller batches, giving up only on a lone span too large", async () => {
    const { exporter, queue, emit } = setup([httpError(413), httpError(413)]);
    const ids = emit(8, "y".repeat(1000));
    // One flush: the refusals do not stop it, since nothing is waiting out a backoff.
    await queue.forceFlush();
    // 8 refused, then the first 4 of them: from then on batches of half of that, 2. Every span
    // delivered once (across batches, two in flight at once, in no promised order).
    expect(exporter.attempts.map((a) => a.length)).toEqual([8, 4, 2, 2, 2, 2]);
    expect([...exporter.delivered].sort()).toEqual([...ids].sort());
    expect(queue.counters).toMatchObject({ exported: 8, failedExports: 2, failedSpans: 0, queuedBytes: 0 });
    // A lone span too large is refused for good, and counted.
    const lone = setup([httpError(413)]);
    lone.emit(1, "z".repeat(1000));
    await lone.queue.forceFlush();
    expect(lone.queue.counters).toMatchObject({ exported: 0, failedExports: 1, failedSpans: 1, queuedBytes: 0 });
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

/** Holds every export until released, recording how many ran at once; fails the first `failures` of them. */
class HeldExporter implements SpanExporter {
  readonly delivered: string[] = [];
  running = 0;
  mostAtOnce = 0;
  private readonly held: (() => void)[] = [];
  constructor(private failures = 0) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.running++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    const fail = this.failures-- > 0;
    this.held.push(() => {
      this.running--;
      if (fail) return done({ code: ExportResultCode.FAILED, error: httpError(503) });
      this.delivered.push(...spans.map((s) => s.spanContext().spanId));
      done({ code: ExportResultCode.SUCCESS });
    });
  }
  /** Lets every held export answer; resolves after their answers have been handled. */
  async release(): Promise<void> {
    for (const answer of this.held.splice(0)) answer();
    await new Promise((r) => setTimeout(r, 0));
  }
  /** Lets the held export at `index` (0: the oldest) answer. */
  async answer(index: number): Promise<void> {
    this.held.splice(index, 1)[0]?.();
    await new Promise((r) => setTimeout(r, 0));
  }
  get waiting(): number {
    return this.held.length;
  }
  async shutdown(): Promise<void> {}
}

describe("exports in flight at once", () => {
  const emitInto = (queue: ByteBoundedSpanProcessor) => {
    const tracer = new BasicTracerProvider({ spanProcessors: [queue] }).getTracer("test");
    return (n: number): string[] => Array.from({ length: n }, () => {
      const span = tracer.startSpan("step");
      span.end();
      return span.spanContext().spanId;
    });
  };

  it("runs up to maxConcurrentExports (default 2) batches at once, and delivers each span once", async () => {
    for (const [option, expected] of [[undefined, 2], [1, 1], [3, 3]] as const) {
      const exporter = new HeldExporter();
      const queue = new ByteBoundedSpanProcessor(exporter, { scheduledDelayMs: 60_000, maxBatchSpans: 10, ...(option === undefined ? {} : { maxConcurrentExports: option }) });
      const ids = emitInto(queue)(100);
      // Full batches start as they fill, up to the bound; the rest wait their turn.
      expect(exporter.waiting).toBe(expected);
      while (exporter.waiting > 0) await exporter.release();
      expect(exporter.mostAtOnce).toBe(expected);
      expect([...exporter.delivered].sort()).toEqual([...ids].sort());
      expect(queue.counters).toMatchObject({ exported: 100, failedExports: 0, queuedBytes: 0 });
    }
  });

  it("at shutdown, lets an export started as another failed end, counted once, and starts nothing after it", async () => {
    const exporter = new HeldExporter(1);
    const queue = new ByteBoundedSpanProcessor(exporter, { scheduledDelayMs: 60_000, maxBatchSpans: 10 });
    emitInto(queue)(30);
    expect(exporter.waiting).toBe(2);
    const stopping = queue.shutdown();
    // The second batch succeeds, and the third starts; then the first fails: the flush inside
    // shutdown stops there, with the third still in flight.
    await exporter.answer(1);
    expect(exporter.waiting).toBe(2);
    await exporter.answer(0);
    expect(exporter.waiting).toBe(1);
    await exporter.answer(0);
    await stopping;
    expect(exporter.waiting).toBe(0);
    // 20 exported, the failed batch's 10 given up at shutdown; the budget back to zero, not below.
    expect(queue.counters).toMatchObject({ exported: 20, failedExports: 1, failedSpans: 10, queuedBytes: 0 });
    expect(exporter.delivered).toHaveLength(20);
  });

  it("puts two failed batches back at the head, backs off once, and delivers every span once", async () => {
    const exporter = new HeldExporter(2);
    const queue = new ByteBoundedSpanProcessor(exporter, { scheduledDelayMs: 60_000, maxBatchSpans: 10 });
    const ids = emitInto(queue)(30);
    expect(exporter.waiting).toBe(2);
    await exporter.release();
    // Both failed: nothing lost, nothing started until the backoff (or a flush).
    expect(queue.counters).toMatchObject({ exported: 0, failedExports: 2, failedSpans: 0 });
    expect(exporter.waiting).toBe(0);
    const flushed = queue.forceFlush();
    while (exporter.waiting > 0 || exporter.delivered.length < 30) await exporter.release();
    await flushed;
    expect([...exporter.delivered].sort()).toEqual([...ids].sort());
    expect(new Set(exporter.delivered).size).toBe(30);
    expect(queue.counters).toMatchObject({ exported: 30, failedExports: 2, queuedBytes: 0 });
    await queue.shutdown();
  });
});

describe("Fifo", () => {
  it("takes from the front in order across cuts, and puts a batch back at the front in order", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    const taken: number[] = [];
    for (let i = 0; i < 3000; i++) taken.push(q.shift() as number);
    expect(taken).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(q.length).toBe(2000);
    expect(q.peek()).toBe(3000);
    // Back in front, in their order: into the freed slots, or ahead of everything.
    q.unshiftAll([2998, 2999]);
    expect([q.length, q.peek()]).toEqual([2002, 2998]);
    const fresh = new Fifo<number>();
    fresh.push(5);
    fresh.unshiftAll([3, 4]);
    expect([fresh.shift(), fresh.shift(), fresh.shift(), fresh.shift()]).toEqual([3, 4, 5, undefined]);
    const rest: number[] = [];
    for (let v = q.shift(); v !== undefined; v = q.shift()) rest.push(v);
    expect(rest).toEqual(Array.from({ length: 2002 }, (_, i) => 2998 + i));
    expect(q.length).toBe(0);
  });
});

describe("exports run outside the runs they record", () => {
  it("an exporter's own clock reads are no steps of a deterministic run, and the run's export ends", async () => {
    const { init } = await import("./init.js");
    const { runWithResult, tool } = await import("./steps.js");
    const { Tracewright } = await import("./conventions.js");
    const exported: ReadableSpan[] = [];
    // Reads the clock as it sends and once the send is answered, as the OTLP exporter's retrying transport does.
    const clockReading: SpanExporter = {
      export(spans, done) {
        Date.now();
        void new Promise((resolve) => setTimeout(resolve, 1)).then(() => {
          Date.now();
          exported.push(...spans);
          done({ code: ExportResultCode.SUCCESS });
        });
      },
      shutdown: async () => {},
    };
    const tracing = init({ exporter: clockReading, register: false, exportQueue: { scheduledDelayMs: 5 } });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const result = await runWithResult(
      "dice",
      {},
      async () => {
        await tool("a", {}, () => 1);
        await sleep(60);
        await tool("b", {}, () => 2);
        await sleep(60);
        // Left behind by the run: it fires after the run has ended.
        setTimeout(() => Date.now(), 20);
      },
      { deterministic: true },
    );
    await sleep(80);
    await tracing.shutdown();
    const keys = exported.filter((s) => s.attributes[Tracewright.RUN_ID] === result.runId).map((s) => s.attributes[Tracewright.STEP_KEY]);
    // The run-start span (no key), its two tools and its root: no clock step, however many exports ran.
    expect(keys.sort()).toEqual(["dice", "dice/tool:a#0", "dice/tool:b#0", undefined]);
  });

  it("a failed export's jittered backoff (Math.random) is no step of the deterministic run whose span's end started it", async () => {
    const { init } = await import("./init.js");
    const { runWithResult, tool } = await import("./steps.js");
    const { Tracewright } = await import("./conventions.js");
    const exported: ReadableSpan[] = [];
    let calls = 0;
    // Fails the second export, the first tool's span, which its end started (a batch a span): it backs off.
    const flaky: SpanExporter = {
      export(spans, done) {
        if (calls++ === 1) return done({ code: ExportResultCode.FAILED, error: new Error("503") });
        exported.push(...spans);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    };
    const tracing = init({ exporter: flaky, register: false, exportQueue: { maxBatchSpans: 1, scheduledDelayMs: 5 } });
    const result = await runWithResult(
      "dice",
      {},
      async (ctx) => {
        for (let i = 0; i < 4; i++) await tool(`t${i}`, {}, () => i);
        return ctx.random();
      },
      { deterministic: true },
    );
    await tracing.flush();
    await tracing.shutdown();
    const keys = exported.filter((s) => s.attributes[Tracewright.RUN_ID] === result.runId).map((s) => String(s.attributes[Tracewright.STEP_KEY]));
    // The agent's one random read, and no other.
    expect(keys.filter((k) => k.includes("random:"))).toEqual(["dice/random:random#0"]);
  });
});
