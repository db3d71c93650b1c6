import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { Tracewright } from "./conventions.js";
import { init } from "./init.js";
import { run, tool } from "./steps.js";

/** Keeps what it was given through its shutdown (the SDK's empties itself), so a test can read it after. */
class KeepingExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const recorder = () => {
  const exporter = new KeepingExporter();
  return { exporter, tracing: init({ register: false, spanProcessors: [new SimpleSpanProcessor(exporter)] }) };
};
const keys = (exporter: InMemorySpanExporter) => exporter.getFinishedSpans().map((s) => s.attributes[Tracewright.STEP_KEY]).filter((k) => k !== undefined);

describe("init() handles", () => {
  it("shutting down a handle that is no longer the current one leaves the current one recording", async () => {
    // A module initialised twice (a dev server's reload, a test's setup), the old handle shut down after.
    const old = recorder();
    const current = recorder();
    await old.tracing.shutdown();
    await run("agent", {}, () => tool("t", {}, () => 1));
    expect(keys(current.exporter)).toEqual(["agent/tool:t#0", "agent"]);
    expect(keys(old.exporter)).toEqual([]);
    await current.tracing.shutdown();
  });

  it("shutting down the current handle stops it recording; shutting down twice and flushing after are harmless", async () => {
    const { exporter, tracing } = recorder();
    await run("a", {}, () => 1);
    await tracing.shutdown();
    await tracing.shutdown();
    await tracing.flush();
    await run("b", {}, () => 1);
    expect(keys(exporter)).toEqual(["a"]);
  });
});
