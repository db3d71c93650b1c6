/**
 * Sinks: where decoded spans go. The local server, and later the Lambda handlers, hand every
 * well-formed batch to each configured sink; the embedded store is one sink, X-Ray, CloudWatch
 * Logs and LangSmith are others. Every sink passes the shared contract in `sink.contract.ts`.
 */
import type { SpanRecord, TraceStore } from "@tracewright/store";
import { SinkError } from "./errors.js";

export interface Sink {
  /** A short, stable name for logs and health reports: `store`, `xray`, `cloudwatch`, … */
  readonly name: string;
  /**
   * Takes one batch. Resolves once the sink has it (durably, or in a buffer that `flush` empties);
   * rejects when it could not take it, and the caller then answers the sender with a retryable
   * error. The same batch may therefore arrive again: delivery is at least once, and a sink that
   * can (the store) deduplicates by (traceId, spanId).
   */
  write(spans: readonly SpanRecord[]): Promise<void>;
  /**
   * Keeps a whole state sent by reference (`PUT /v1/payloads/<sha256>`), its hash verified by the
   * collector; idempotent. Absent on sinks that keep no payloads (X-Ray's 64 KB documents,
   * LangSmith): they see the span's marker and preview. Rejects as `write` does (then retried).
   */
  putPayload?(hash: string, body: string): Promise<void>;
  /** Delivers whatever the sink buffers. Called before a Lambda handler returns and on close. */
  flush(): Promise<void>;
  /** Flushes, then releases the sink's resources. Idempotent. */
  close(): Promise<void>;
  /** Whether the sink can take writes now; absent means always. Backs `GET /healthz`. */
  healthy?(): Promise<boolean>;
}

export interface StoreSinkOptions {
  /** Name in logs and health reports. Default: `store`. */
  name?: string;
  /**
   * Close the store when the sink closes. Default: false — whoever opened the store closes it,
   * so a test or the CLI can still read it after the collector stops.
   */
  closeStore?: boolean;
}

/** The embedded trace store as a sink: writes go straight to `ingest`, which is idempotent. */
export function storeSink(store: TraceStore, options: StoreSinkOptions = {}): Sink {
  let closed = false;
  return {
    name: options.name ?? "store",
    async write(spans) {
      if (spans.length > 0) await store.ingest(spans);
    },
    putPayload: (hash, body) => store.putPayload(hash, body),
    async flush() {
      // ingest is synchronous to durable storage; nothing is buffered.
    },
    async close() {
      if (closed) return;
      closed = true;
      if (options.closeStore === true) await store.close();
    },
    healthy: () => store.healthy(),
  };
}

/** An in-memory sink that keeps one copy of each span by (traceId, spanId), in arrival order. */
export interface MemorySink extends Sink {
  /** The spans received so far. */
  readonly spans: readonly SpanRecord[];
  /** The payloads received so far, by hash. */
  readonly payloads: ReadonlyMap<string, string>;
  putPayload(hash: string, body: string): Promise<void>;
  /** False once closed. */
  healthy(): Promise<boolean>;
}

/** The in-memory sink: for tests, and for embedding the collector where nothing is persisted. */
export function memorySink(name = "memory"): MemorySink {
  const byId = new Map<string, SpanRecord>();
  const payloads = new Map<string, string>();
  let closed = false;
  return {
    name,
    get spans() {
      return [...byId.values()];
    },
    payloads,
    async putPayload(hash, body) {
      if (closed) throw new SinkError(name, `The sink "${name}" is closed; it takes no more payloads.`);
      if (!payloads.has(hash)) payloads.set(hash, body);
    },
    async write(spans) {
      if (closed) throw new SinkError(name, `The sink "${name}" is closed; it takes no more writes.`);
      for (const span of spans) {
        const key = `${span.traceId}/${span.spanId}`;
        if (!byId.has(key)) byId.set(key, span);
      }
    },
    async flush() {},
    async close() {
      closed = true;
    },
    async healthy() {
      return !closed;
    },
  };
}

/**
 * One span a sink could not deliver and will never deliver by retrying (malformed for the
 * backend, refused by it for good): reported per record, never dropped silently (STYLE.md §6).
 */
export interface SpanRejection {
  sink: string;
  traceId: string;
  spanId: string;
  reason: string;
}

/** Where rejected spans are reported. Default: one line each on stderr. */
export type RejectionReporter = (rejection: SpanRejection) => void;

export const stderrReporter: RejectionReporter = (r) => {
  process.stderr.write(`Tracewright collector: sink "${r.sink}" rejected span ${r.traceId}/${r.spanId}: ${r.reason}\n`);
};
