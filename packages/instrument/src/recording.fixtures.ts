/**
 * The recording most unit tests of this package read: `init()` with an in-memory exporter behind
 * a simple processor, set up once per test file, emptied before each test, shut down after the
 * file. Not part of the build.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { init } from "./init.js";
import type { InitOptions, Tracing } from "./init.js";
import type { StepInterceptor } from "./steps.js";

/** Registers the hooks and answers the exporter whose finished spans the tests read. */
export function recordSpans(options: Omit<InitOptions, "spanProcessors"> = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  beforeAll(() => {
    tracing = init({ register: false, ...options, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  });
  afterAll(() => tracing?.shutdown());
  beforeEach(() => exporter.reset());
  return exporter;
}

/**
 * Serves `output` to the run's model calls — only the one at `key`, when given — through the
 * call's `revive`, as replay's cassette does; every other step runs live.
 */
export function servingModelCalls(output: unknown, key?: unknown): StepInterceptor {
  return {
    intercept: (call, live) => (call.kind === "llm" && (key === undefined || call.key === key) ? Promise.resolve((call.revive === undefined ? output : call.revive(output)) as never) : live()),
    interceptSync: (_call, live) => live(),
  };
}
