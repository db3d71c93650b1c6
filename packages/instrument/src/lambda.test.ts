import { describe, expect, it } from "vitest";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { Tracewright } from "./conventions.js";
import { init, wrapLambdaHandler } from "./init.js";
import { carry, resume } from "./propagation.js";
import { context } from "@opentelemetry/api";
import { runWithResult, tool } from "./steps.js";

describe("serverless", () => {
  it("a wrapped Lambda handler has exported every step when it returns, and when it throws", async () => {
    const exporter = new InMemorySpanExporter();
    // The byte-bounded queue batches on a timer: without the wrapper nothing would be exported yet.
    const tracing = init({ exporter, register: false, exportQueue: { scheduledDelayMs: 60_000 } });
    const handler = wrapLambdaHandler(tracing, async (event: { fail: boolean }) => {
      const result = await runWithResult("lambda-agent", event, () => tool("t", {}, () => {
        if (event.fail) throw new Error("boom");
        return 1;
      }));
      if (result.status === "error") throw result.error as Error;
      return result.runId;
    });
    const runId = await handler({ fail: false }, {});
    expect(exporter.getFinishedSpans().filter((s) => s.attributes[Tracewright.RUN_ID] === runId)).toHaveLength(2);
    await expect(handler({ fail: true }, {})).rejects.toThrow("boom");
    expect(exporter.getFinishedSpans()).toHaveLength(4);
    await tracing.shutdown();
  });
});

describe("sampling by run", () => {
  it("records a run whole or not at all, and a hop follows its producer's decision", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = init({ exporter, register: false, sampleRatio: 0.5 });
    const runs: { runId: string; carried: ReturnType<typeof carry> }[] = [];
    for (let i = 0; i < 100; i++) {
      let carried = {};
      const result = await runWithResult("sampled", { i }, async () => {
        await tool("a", { i }, () => i);
        carried = carry();
      });
      runs.push({ runId: result.runId, carried });
    }
    // Continue each run in a "consumer": it follows the sampled flag carried in traceparent.
    for (const r of runs) await context.with(resume(r.carried), () => runWithResult("consumer", {}, () => tool("b", {}, () => 1)));
    await tracing.flush();
    const byRun = new Map<string, number>();
    for (const span of exporter.getFinishedSpans()) byRun.set(String(span.attributes[Tracewright.RUN_ID]), (byRun.get(String(span.attributes[Tracewright.RUN_ID])) ?? 0) + 1);
    // Every recorded run has all four steps (root, tool, consumer root, consumer tool); the rest none.
    expect([...byRun.values()].every((n) => n === 4)).toBe(true);
    expect(byRun.size).toBeGreaterThan(20);
    expect(byRun.size).toBeLessThan(80);
    await tracing.shutdown();
  });
});
