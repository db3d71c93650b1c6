/**
 * The recording most unit tests of this package read: `init()` with an in-memory exporter behind
 * a simple processor, set up once per test file, emptied before each test, shut down after the
 * file. Not part of the build.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { init } from "./init.js";
import type { InitOptions, Tracing } from "./init.js";

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
