import { createServer } from "node:http";
import type { Server } from "node:http";
import { performance } from "node:perf_hooks";
import { startCollector } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { init } from "./init.js";
import { node, runWithResult, tool } from "./steps.js";

// Telemetry never hurts the agent: with the collector down or slow, the agent's own latency
// stays close to a run that exports nothing, and the export queue stays within its byte budget.

const state = { items: Array.from({ length: 40 }, (_, i) => ({ id: i, text: "lorem ipsum dolor sit amet ".repeat(8) })) };

async function agent(): Promise<number> {
  const started = performance.now();
  const result = await runWithResult("isolation", { n: 1 }, async () => {
    for (let i = 0; i < 30; i++) {
      await node("step", state, async (s) => {
        await tool("t", s, () => new Promise((r) => setTimeout(() => r(s), 2)));
        return s;
      });
    }
  });
  expect(result.status).toBe("ok");
  return performance.now() - started;
}

async function timed(setup: () => { shutdown(): Promise<void> }): Promise<number> {
  const tracing = setup();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await agent());
  await Promise.race([tracing.shutdown(), new Promise((r) => setTimeout(r, 100))]);
  return times.sort((a, b) => a - b)[1]!;
}

function slowServer(delayMs: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end("{}"), delayMs).unref();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces` })));
}

describe("the agent runs on whatever happens to export", () => {
  it("keeps its latency with the collector down or slow, measured against a run that exports nothing", async () => {
    const baseline = await timed(() => init({ spanProcessors: [], register: false }));
    const down = await timed(() => init({ endpoint: "http://127.0.0.1:9/v1/traces", register: false, exportQueue: { scheduledDelayMs: 1 } }));
    const { server, url } = await slowServer(5_000);
    const slow = await timed(() => init({ endpoint: url, register: false, exportQueue: { scheduledDelayMs: 1 } }));
    server.closeAllConnections();
    server.close();
    // Generous bounds: the machine is shared; what is excluded is waiting on the network (seconds).
    expect(down).toBeLessThan(baseline * 3 + 100);
    expect(slow).toBeLessThan(baseline * 3 + 100);
  });

  it("bounds the queue in bytes, counting what it drops", async () => {
    const { server, url } = await slowServer(10_000);
    const tracing = init({ endpoint: url, register: false, exportQueue: { maxQueueBytes: 256 * 1024, scheduledDelayMs: 1 } });
    const big = { text: "x".repeat(100 * 1024) };
    await runWithResult("flood", {}, async () => {
      for (let i = 0; i < 50; i++) await tool("big", big, () => big);
    });
    const stats = tracing.stats();
    expect(stats.dropped).toBeGreaterThan(30);
    expect(stats.droppedBytes).toBeGreaterThan(30 * 200 * 1024);
    // Within the budget, plus the one batch already handed to the exporter.
    expect(stats.queuedBytes).toBeLessThanOrEqual(256 * 1024 + 4 * 1024 * 1024);
    server.closeAllConnections();
    server.close();
    await Promise.race([tracing.shutdown(), new Promise((r) => setTimeout(r, 100))]);
  });

  it("exports everything to a live collector and says so", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    const tracing = init({ endpoint: collector.tracesUrl, register: false, exportQueue: { scheduledDelayMs: 5 } });
    const result = await runWithResult("live", {}, async () => {
      for (let i = 0; i < 20; i++) await tool("t", { i }, () => i);
    });
    await tracing.flush();
    // 21 steps and the run-start span.
    expect(tracing.stats()).toMatchObject({ exported: 22, dropped: 0, failedExports: 0, queuedBytes: 0 });
    expect((await store.getRun(result.runId))?.steps).toBe(21);
    await tracing.shutdown();
    await collector.close();
    await store.close();
  });
});
