/**
 * What this package's integration tests share: a fresh in-memory SQLite store for each test, and
 * an agent's run recorded by a real SDK provider into it, as the collector would store it. Not
 * part of the build.
 */
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { openSqliteStore } from "@tracewright/store";
import type { SpanRecord, TraceStore } from "@tracewright/store";
import { runWithResult } from "@tracewright/instrument";
import type { RunContext } from "@tracewright/instrument";
import { afterEach, beforeEach } from "vitest";
import { CollectingProcessor } from "./spans.js";
import type { ReplayableAgent } from "./types.js";

/** Registers the hooks; call the result inside a test for that test's store. */
export function storePerTest(): () => TraceStore {
  let store: TraceStore | undefined;
  beforeEach(() => {
    store = openSqliteStore({ path: ":memory:" });
  });
  afterEach(async () => {
    trace.disable();
    await store?.close();
  });
  return () => {
    if (store === undefined) throw new Error("storePerTest(): the store exists inside a test only");
    return store;
  };
}

export interface RecordOptions {
  /** Changes the spans before they are stored (a span lost, a payload marker put in). */
  edit?: (spans: SpanRecord[]) => SpanRecord[];
  /** Also register the provider globally, as `init()` does, so other instrumentation's spans join the run. */
  global?: boolean;
  /** Waits this long after the run has ended before storing its spans: calls that outlive their root (a sibling of a failed `Promise.all`) end meanwhile, as an exporter would still send them. */
  tailMs?: number;
}

/** Runs `agent` once, records it, stores its spans; the run's id and the spans stored. */
export async function recordRun(store: TraceStore, agent: ReplayableAgent, options: RecordOptions = {}): Promise<{ runId: string; spans: SpanRecord[] }> {
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [collected] });
  if (options.global === true) trace.setGlobalTracerProvider(provider);
  const result = await agent.run({}, { tracer: provider.getTracer("test") }, { fixes: [] });
  if (options.tailMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.tailMs));
  const spans = options.edit === undefined ? collected.spans : options.edit(collected.spans);
  await store.ingest(spans);
  return { runId: result.runId, spans };
}

/** An agent replay can re-run: `body` as the run `name`, with the replay's run options. */
export function replayable(name: string, body: (ctx: RunContext<unknown>) => unknown): ReplayableAgent {
  return { name, run: (input, options) => runWithResult(name, input, body, options) };
}
