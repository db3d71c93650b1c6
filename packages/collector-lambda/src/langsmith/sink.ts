/**
 * The LangSmith sink: each span becomes a LangSmith run through the official `langsmith` client
 * (`Client.batchIngestRuns`, `POST /runs/batch`): run type from the step kind (`llm`, `tool`,
 * `chain` for agents and nodes, `retriever`, …), `parent_run_id` from the parent span, the
 * recorded input/output state as `inputs`/`outputs`, the error from the span status and its
 * exception, times, tags, and the ids that join it to the other sinks in `extra.metadata`.
 *
 * Run ids are UUIDs derived from (traceId, spanId), so a redelivered span upserts the same run.
 * LangSmith's `trace_id` and `dotted_order` (every ancestor's place and id, from the top) come
 * from the span alone, though its parent is exported after it: the instrumentation records each
 * step's ancestors (`tracewright.step.ancestry`, carried across hops with the message). A span
 * whose chain is not known whole (its parent another instrumentation's span, or a consumer whose
 * message lost the chain) starts a LangSmith trace of its own, its parent named in
 * `extra.metadata.parent_span_id`. Throttling, 5xx and timeouts are retried with jitter here
 * (the client's own retries are off, so none is hidden). A batch call is all or nothing, so a chunk LangSmith refuses for good (a 4xx other than 401, 403, 404, 408, 429) is
 * halved until the runs at fault stand alone: those are reported per span, the others delivered.
 * A span without a name gets its step key's last part (LangSmith requires a name).
 *
 * A run-start span (`tracewright.run.start`) is skipped: it is not a step, and the root's own run,
 * posted whole when the root ends, carries everything it does. (Posting the root's run at its start
 * and patching it at its end would show a long run earlier; it would also need the root's name and
 * kind, which the run-start span does not carry.)
 */
import { createHash } from "node:crypto";
import { Client } from "langsmith";
import type { AttributeValue, SpanRecord } from "@tracewright/store";
import { Exception, isRunStart, OpenInference, parseStepAncestry, stepKeyName, stepOrder, Tracewright } from "@tracewright/instrument/conventions";
import type { Ancestor } from "@tracewright/instrument/conventions";
import { resolveRetryPolicy, withRetries } from "@tracewright/instrument/shared";
import type { RetryPolicy } from "@tracewright/instrument/shared";
import { SinkError } from "../errors.js";
import { stderrReporter } from "../sink.js";
import type { RejectionReporter, Sink } from "../sink.js";

export interface LangSmithSinkOptions {
  /** Default: `langsmith`. */
  name?: string;
  /** Env: `LANGSMITH_ENDPOINT`. Default: the client's (`https://api.smith.langchain.com`). */
  apiUrl?: string;
  /** Env: `LANGSMITH_API_KEY`. */
  apiKey?: string;
  /** The LangSmith project (session). Env: `LANGSMITH_PROJECT`. Default: `tracewright`. */
  project?: string;
  /** Per-call timeout in ms. Default: 10,000. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Runs per batch call. Default: 100. */
  batchSize?: number;
  report?: RejectionReporter;
  /** A client to use instead of building one. */
  client?: Client;
}

/** The run a span becomes (the part of LangSmith's RunCreate that is written). */
export interface LangSmithRun {
  id: string;
  name: string;
  run_type: string;
  start_time: number;
  end_time: number;
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string;
  parent_run_id?: string;
  /** The id of the trace's top run (the run itself, for a top run). */
  trace_id: string;
  /** `<place>Z<run id>` ({@link dottedPart}) of every run from the top one to this, joined by `.`. */
  dotted_order: string;
  session_name: string;
  tags: string[];
  extra: { metadata: Record<string, unknown>; tracewright: { span: SpanRecord; moved: string[] } };
}

/** A UUID (version 5 layout) from a trace and span id: stable across redeliveries. */
export function runId(traceId: string, spanId: string): string {
  const h = createHash("sha256").update(`tracewright:${traceId}/${spanId}`).digest("hex");
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const RUN_TYPES: Record<string, string> = { llm: "llm", tool: "tool", agent: "chain", node: "chain", retriever: "retriever", embedding: "embedding", prompt: "prompt", parser: "parser" };

function runType(span: SpanRecord): string {
  const kind = span.attributes[Tracewright.STEP_KIND] ?? span.attributes[OpenInference.SPAN_KIND];
  return typeof kind === "string" ? (RUN_TYPES[kind.toLowerCase()] ?? "chain") : "chain";
}

/** A state attribute as a LangSmith KV map: a JSON object whose text round-trips moves whole; anything else is wrapped. */
function asMap(value: AttributeValue | undefined): { map: Record<string, unknown>; exact: boolean } {
  if (typeof value === "string") {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return { map: parsed as Record<string, unknown>, exact: JSON.stringify(parsed) === value };
      return { map: { value: parsed }, exact: false };
    } catch {
      return { map: { value }, exact: false };
    }
  }
  return { map: value === undefined ? {} : { value }, exact: false };
}

const ms = (nanos: string): number => Number(BigInt(nanos) / 1_000_000n);

/** One part of a dotted order: the run's place ({@link stepOrder}, in µs) as `20260101T000000123456Z`, then its id. */
export function dottedPart(order: number, id: string): string {
  const iso = new Date(Math.floor(order / 1000)).toISOString();
  const micros = String(order % 1000).padStart(3, "0");
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}${micros}Z${id}`;
}

/** The ancestors a span recorded, when they are the whole chain to its parent (the last of them). */
function ancestorsOf(span: SpanRecord): Ancestor[] | undefined {
  const ancestors = parseStepAncestry(span.attributes[Tracewright.STEP_ANCESTRY]);
  return ancestors !== undefined && ancestors.at(-1)?.spanId === span.parentSpanId ? ancestors : undefined;
}

/**
 * A span's place in its LangSmith trace: under its parent when its whole chain is known, else at
 * the top of a trace of its own.
 */
function placement(span: SpanRecord, id: string): Pick<LangSmithRun, "parent_run_id" | "trace_id" | "dotted_order"> {
  const own = dottedPart(stepOrder(ms(span.startTimeUnixNano), span.attributes[Tracewright.STEP_SEQ]), id);
  const ancestors = ancestorsOf(span);
  if (ancestors === undefined) return { trace_id: id, dotted_order: own };
  const ids = ancestors.map((a) => runId(span.traceId, a.spanId));
  return {
    parent_run_id: ids.at(-1) as string,
    trace_id: ids[0] as string,
    dotted_order: `${ancestors.map((a, i) => dottedPart(a.order, ids[i] as string)).join(".")}.${own}`,
  };
}

/**
 * The run's name: the span's, else (OTLP allows an empty name; LangSmith refuses a run without
 * one) the last part of its step key, else `span`. `extra.tracewright.span` keeps the span as it was.
 */
function runName(span: SpanRecord): string {
  if (span.name !== "") return span.name;
  const key = span.attributes[Tracewright.STEP_KEY];
  const last = typeof key === "string" ? stepKeyName(key.slice(key.lastIndexOf("/") + 1)) : "";
  return last === "" ? "span" : last;
}

/** Translates one span into a LangSmith run. */
export function toLangSmithRun(span: SpanRecord, project: string): LangSmithRun {
  const attributes = { ...span.attributes };
  const moved: string[] = [];
  const input = asMap(attributes[OpenInference.INPUT_VALUE]);
  const output = attributes[OpenInference.OUTPUT_VALUE] === undefined ? undefined : asMap(attributes[OpenInference.OUTPUT_VALUE]);
  // A state already carried whole by inputs/outputs is not stored twice.
  if (input.exact) {
    delete attributes[OpenInference.INPUT_VALUE];
    moved.push(OpenInference.INPUT_VALUE);
  }
  if (output?.exact === true) {
    delete attributes[OpenInference.OUTPUT_VALUE];
    moved.push(OpenInference.OUTPUT_VALUE);
  }
  const exception = span.events.find((e) => e.name === Exception.EVENT_NAME);
  const error =
    span.status.code !== 2
      ? undefined
      : exception === undefined
        ? (span.status.message ?? "error")
        : `${String(exception.attributes[Exception.TYPE] ?? "Error")}: ${String(exception.attributes[Exception.MESSAGE] ?? span.status.message ?? "")}${typeof exception.attributes[Exception.STACKTRACE] === "string" ? `\n${exception.attributes[Exception.STACKTRACE] as string}` : ""}`;
  const kind = span.attributes[Tracewright.STEP_KIND];
  const id = runId(span.traceId, span.spanId);
  const place = placement(span, id);
  const hasParent = span.parentSpanId !== undefined && span.parentSpanId !== "";
  return {
    id,
    name: runName(span),
    run_type: runType(span),
    start_time: ms(span.startTimeUnixNano),
    end_time: ms(span.endTimeUnixNano),
    inputs: input.map,
    ...(output === undefined ? {} : { outputs: output.map }),
    ...(error === undefined ? {} : { error }),
    ...place,
    session_name: project,
    tags: typeof kind === "string" ? [kind] : [],
    extra: {
      metadata: {
        trace_id: span.traceId,
        span_id: span.spanId,
        ...(hasParent ? { parent_span_id: span.parentSpanId } : {}),
        ...(typeof span.attributes[Tracewright.RUN_ID] === "string" ? { tracewright_run_id: span.attributes[Tracewright.RUN_ID] } : {}),
        ...(typeof span.attributes[Tracewright.STEP_KEY] === "string" ? { tracewright_step_key: span.attributes[Tracewright.STEP_KEY] } : {}),
      },
      tracewright: { span: { ...span, attributes }, moved },
    },
  };
}

/** Rebuilds the span a run was made from (the inverse of `toLangSmithRun`). */
export function fromLangSmithRun(run: Pick<LangSmithRun, "inputs" | "outputs" | "extra">): SpanRecord {
  const { span, moved } = run.extra.tracewright;
  const attributes = { ...span.attributes };
  if (moved.includes(OpenInference.INPUT_VALUE)) attributes[OpenInference.INPUT_VALUE] = JSON.stringify(run.inputs);
  if (moved.includes(OpenInference.OUTPUT_VALUE)) attributes[OpenInference.OUTPUT_VALUE] = JSON.stringify(run.outputs);
  return { ...span, attributes };
}

/** The HTTP status of a failed call: the client's `status`, else the one its message names (its 404 and 409 errors carry none). */
export function httpStatus(error: unknown): number | undefined {
  const e = error as { status?: number; message?: string } | undefined;
  // As the client writes it ("… Received status [409]: …"): never any three digits, such as a
  // port in a network error ("connect ETIMEDOUT 10.0.0.1:443"), which would read as a 4xx refusal.
  const status = e?.status ?? Number(/\bstatus \[(\d{3})\]/.exec(e?.message ?? "")?.[1]);
  return Number.isFinite(status) ? status : undefined;
}

function retryableHttp(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return true; // timeouts, resets
}

/**
 * Whether LangSmith refused the runs themselves, so that no retry can pass: a 4xx but those of
 * the sink's own configuration (401, 403: the key or workspace; 404: the URL), which fail the
 * write so that nothing is lost while it is fixed, and 408 and 429, which are retried.
 */
function refusedForGood(error: unknown): boolean {
  const status = httpStatus(error);
  return status !== undefined && status >= 400 && status < 500 && ![401, 403, 404, 408, 429].includes(status);
}

export function langsmithSink(options: LangSmithSinkOptions = {}): Sink {
  const name = options.name ?? "langsmith";
  const project = options.project ?? process.env.LANGSMITH_PROJECT ?? "tracewright";
  const apiUrl = options.apiUrl ?? process.env.LANGSMITH_ENDPOINT;
  const client =
    options.client ??
    new Client({
      ...(apiUrl === undefined ? {} : { apiUrl }),
      ...((options.apiKey ?? process.env.LANGSMITH_API_KEY) === undefined ? {} : { apiKey: options.apiKey ?? process.env.LANGSMITH_API_KEY }),
      autoBatchTracing: false,
      callerOptions: { maxRetries: 0 },
      timeout_ms: options.timeoutMs ?? 10_000,
    });
  const policy = resolveRetryPolicy(options.retry);
  const report = options.report ?? stderrReporter;
  const batchSize = options.batchSize ?? 100;
  let closed = false;
  return {
    name,
    async write(spans) {
      if (closed) throw new SinkError(name, `The sink "${name}" is closed; it takes no more writes.`);
      const runs: LangSmithRun[] = [];
      for (const span of spans) {
        if (isRunStart(span)) continue;
        try {
          runs.push(toLangSmithRun(span, project));
        } catch (error) {
          report({ sink: name, traceId: span.traceId, spanId: span.spanId, reason: `cannot become a LangSmith run: ${(error as Error).message}` });
        }
      }
      // A batch call is all or nothing: when LangSmith refuses a chunk for good, its halves are
      // sent apart until the runs at fault stand alone; those are reported, the others delivered.
      // (Failing the write instead would have the batch resent, and refused, for ever.)
      const pending: LangSmithRun[][] = [];
      for (let i = 0; i < runs.length; i += batchSize) pending.push(runs.slice(i, i + batchSize));
      pending.reverse(); // a stack: the first chunk on top
      for (let chunk = pending.pop(); chunk !== undefined; chunk = pending.pop()) {
        try {
          const creates = chunk;
          await withRetries(() => client.batchIngestRuns({ runCreates: creates as unknown as Parameters<Client["batchIngestRuns"]>[0]["runCreates"] }), retryableHttp, policy);
        } catch (cause) {
          if (!refusedForGood(cause)) throw new SinkError(name, `LangSmith did not take ${chunk.length} runs: ${(cause as Error).message}`, { cause });
          if (chunk.length > 1) {
            const half = Math.ceil(chunk.length / 2);
            pending.push(chunk.slice(half), chunk.slice(0, half));
            continue;
          }
          const { span } = (chunk[0] as LangSmithRun).extra.tracewright;
          report({ sink: name, traceId: span.traceId, spanId: span.spanId, reason: `LangSmith refused the run for good: ${(cause as Error).message}` });
        }
      }
    },
    async flush() {},
    async close() {
      closed = true;
    },
  };
}
