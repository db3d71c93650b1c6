import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { isRunStart, Tracewright } from "./conventions.js";
import { init, wrapLambdaHandler } from "./init.js";
import type { Tracing } from "./init.js";
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
    // Its two steps, and the run-start span exported with them.
    const ofRun = exporter.getFinishedSpans().filter((s) => s.attributes[Tracewright.RUN_ID] === runId);
    expect(ofRun.map((s) => (isRunStart(s) ? "run start" : s.attributes[Tracewright.STEP_KEY]))).toEqual(["run start", "lambda-agent/tool:t#0", "lambda-agent"]);
    await expect(handler({ fail: true }, {})).rejects.toThrow("boom");
    expect(exporter.getFinishedSpans()).toHaveLength(6);
    await tracing.shutdown();
  });
});

describe("a wrapped callback-style Lambda handler", () => {
  it("settles with what it calls back, having flushed, and fails with the error it calls back", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = init({ exporter, register: false, exportQueue: { scheduledDelayMs: 60_000 } });
    // As a JavaScript handler of the Node.js runtime's callback style is written.
    const handler = wrapLambdaHandler(tracing, (event: { fail: boolean }, _context: unknown, callback: (error?: unknown, result?: string) => void) => {
      void runWithResult("callback-agent", event, () => tool("t", {}, () => 1)).then((result) => setTimeout(() => (event.fail ? callback(new Error("called back")) : callback(null, result.runId)), 5));
    });
    const runId = await handler({ fail: false }, {});
    expect(exporter.getFinishedSpans().filter((s) => s.attributes[Tracewright.RUN_ID] === runId)).toHaveLength(3);
    await expect(handler({ fail: true }, {})).rejects.toThrow("called back");
    await tracing.shutdown();
  });
});

describe("a wrapped Lambda handler with the collector unreachable", () => {
  const held: ServerResponse[] = [];
  const opened: Tracing[] = [];
  let close: (() => Promise<void>) | undefined;
  let answer = false;
  afterEach(async () => {
    // The collector answers at last, so that what is still queued goes and shutdown is quick.
    answer = true;
    for (const res of held.splice(0)) res.writeHead(200, { "content-type": "application/json" }).end("{}");
    for (const tracing of opened.splice(0)) await tracing.shutdown();
    await close?.();
    answer = false;
    delete process.env.TRACEWRIGHT_FLUSH_TIMEOUT_MS;
  });

  /** A collector that takes every request and never answers (a black hole): an export waits for its 10 s timeout. */
  async function silentCollector(): Promise<string> {
    const server = createServer((req, res) => {
      req.resume();
      if (answer) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else held.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () => new Promise((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  }

  it("returns the handler's result before the function's own timeout: the flush is awaited only until the remaining time less a margin", async () => {
    const tracing = init({ endpoint: await silentCollector(), register: false, exportQueue: { scheduledDelayMs: 60_000 } });
    // A 3 s function (Lambda's default timeout) with 600 ms left when the handler is done.
    const deadline = Date.now() + 600;
    const handler = wrapLambdaHandler(tracing, async () => (await runWithResult("lambda-agent", {}, () => tool("t", {}, () => 1))).output);
    await expect(handler({}, { getRemainingTimeInMillis: () => deadline - Date.now() })).resolves.toBe(1);
    // The export is still waiting on the collector (not yet timed out, nor failed): the handler did not wait it out.
    expect(held.length).toBeGreaterThan(0);
    expect(tracing.stats()).toMatchObject({ exported: 0, failedExports: 0, failedSpans: 0 });
    opened.push(tracing);
  });

  it("bounds the flush by TRACEWRIGHT_FLUSH_TIMEOUT_MS (or the option) when the context has no clock", async () => {
    const tracing = init({ endpoint: await silentCollector(), register: false, exportQueue: { scheduledDelayMs: 60_000 } });
    process.env.TRACEWRIGHT_FLUSH_TIMEOUT_MS = "200";
    const fromEnv = wrapLambdaHandler(tracing, async () => "env");
    await expect(fromEnv({}, {})).resolves.toBe("env");
    delete process.env.TRACEWRIGHT_FLUSH_TIMEOUT_MS;
    const fromOption = wrapLambdaHandler(tracing, async () => {
      await runWithResult("lambda-agent", {}, () => tool("t", {}, () => 1));
      throw new Error("the handler's own error");
    }, { flushTimeoutMs: 200 });
    await expect(fromOption({}, {})).rejects.toThrow("the handler's own error");
    expect(held.length).toBeGreaterThan(0);
    expect(tracing.stats()).toMatchObject({ exported: 0, failedExports: 0 });
    opened.push(tracing);
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
    const byRun = new Map<string, { steps: number; starts: number }>();
    for (const span of exporter.getFinishedSpans()) {
      const runId = String(span.attributes[Tracewright.RUN_ID]);
      const counts = byRun.get(runId) ?? { steps: 0, starts: 0 };
      if (isRunStart(span)) counts.starts++;
      else counts.steps++;
      byRun.set(runId, counts);
    }
    // Every recorded run has all four steps (root, tool, consumer root, consumer tool) and a
    // run-start span from each of its two local roots; the rest none, run-start spans included.
    expect([...byRun.values()].every((n) => n.steps === 4 && n.starts === 2)).toBe(true);
    expect(byRun.size).toBeGreaterThan(20);
    expect(byRun.size).toBeLessThan(80);
    await tracing.shutdown();
  });
});
