import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, runWithResult, tool } from "@tracewright/instrument";
import { openSqliteStore } from "@tracewright/store";
import type { SpanRecord } from "@tracewright/store";
import { afterAll, describe, expect, it } from "vitest";
import { SinkError } from "../errors.js";
import { startCollector } from "../server.js";
import { memorySink, storeSink } from "../sink.js";
import type { Sink } from "../sink.js";
import { freePort, here, requireBuild, runJsonChild, startCollectorProcess, storedSpanIds, waitForLine } from "./collector.fixtures.js";
import type { CollectorProcess } from "./collector.fixtures.js";

// Faults, each with a real agent exporting through @tracewright/instrument's real OTLP/HTTP
// exporter while the collector side breaks under it: afterwards every span the agent recorded is
// in the store exactly once, and each failure was logged with its cause.

interface AgentReport {
  runs: { runId: string; status: string; steps: number; spans: number }[];
  stats: { exported: number; dropped: number; failedExports: number; failedSpans: number; queuedBytes: number };
  warnings: string[];
}

const dir = mkdtempSync(join(tmpdir(), "tracewright-faults-"));
const collectors: CollectorProcess[] = [];
afterAll(async () => {
  for (const c of collectors) await c.kill();
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function collectorOn(db: string, port: number): Promise<CollectorProcess> {
  const c = await startCollectorProcess({ db, port });
  collectors.push(c);
  return c;
}

/** Every run the agent reported is in the store whole, each span once; nothing else is. */
async function expectStoredOnce(db: string, report: AgentReport): Promise<void> {
  const store = openSqliteStore({ path: db });
  try {
    for (const run of report.runs) {
      const spans = await store.getRunSpans(run.runId);
      expect(spans, `run ${run.runId}`).toHaveLength(run.spans);
      expect(new Set(spans.map((s) => s.spanId)).size).toBe(run.spans);
      // The run's derived step count counts each step span once (a span stored twice would show here).
      expect((await store.getRun(run.runId))?.steps).toBe(run.steps);
    }
  } finally {
    await store.close();
  }
  const total = report.runs.reduce((n, r) => n + r.spans, 0);
  const stored = storedSpanIds(db);
  expect(stored.size).toBe(total);
  expect([...stored.values()].every((n) => n === 1)).toBe(true);
  expect(report.stats).toMatchObject({ exported: total, dropped: 0, failedSpans: 0, queuedBytes: 0 });
}

describe("faults: the collector killed and restarted mid-stream", () => {
  it("loses and duplicates nothing when the collector is SIGKILLed under an exporting agent and comes back on the same store", async () => {
    requireBuild();
    const db = join(dir, "killed.db");
    const port = await freePort();
    const first = await collectorOn(db, port);
    const agent = runJsonChild<AgentReport>(here("fault-agent.mjs"), ["30", "10", "60"], { OTEL_EXPORTER_OTLP_ENDPOINT: first.url });
    await waitForLine(agent.child, /^progress 5$/);
    await first.kill();
    // Down for longer than the exporter's own retries (10 s export timeout): the export queue's
    // retry with backoff is what carries the spans over the outage.
    await sleep(12_000);
    const second = await collectorOn(db, port);
    const report = await agent.result;
    await second.stop();

    expect(report.runs).toHaveLength(30);
    await expectStoredOnce(db, report);
    // The outage was felt, and each failed export was logged with its cause.
    expect(report.stats.failedExports).toBeGreaterThan(0);
    expect(report.warnings.filter((w) => /retrying with backoff/.test(w))).toHaveLength(report.stats.failedExports);
    expect(report.warnings).toContainEqual(expect.stringMatching(/^warn: tracewright: exporting \d+ spans failed; retrying with backoff: .*(ECONNREFUSED|ECONNRESET|socket hang up)/));
  });
});

describe("faults: the store file locked by another process", () => {
  it("answers 503 while a process holds BEGIN EXCLUSIVE on the store, logging SQLITE_BUSY, and stores every span once after the lock is released", async () => {
    requireBuild();
    const db = join(dir, "locked.db");
    const collector = await collectorOn(db, await freePort());
    const holder = spawn(process.execPath, [here("lock-holder.mjs"), db, "120"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      await waitForLine(holder, /^locked$/);
      const agent = runJsonChild<AgentReport>(here("fault-agent.mjs"), ["10", "10", "20"], { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
      // Locked for longer than several of the export queue's backoffs (1 s, doubling).
      await sleep(15_000);
      const released = waitForLine(holder, /^released$/);
      holder.stdin?.end("release\n");
      await released;
      const report = await agent.result;
      await collector.stop();

      await expectStoredOnce(db, report);
      expect(report.stats.failedExports).toBeGreaterThan(0);
      expect(report.warnings).toContainEqual(expect.stringMatching(/retrying with backoff: the collector answered 503 to POST http:\/\/127\.0\.0\.1:\d+\/v1\/traces: .*sink \\"store\\" failed/));
      const busy = collector.log.filter((line) => line.includes('sink "store" failed to take'));
      expect(busy.length).toBeGreaterThan(0);
      for (const line of busy) expect(line).toMatch(/^Tracewright collector: sink "store" failed to take \d+ spans; answered 503 so the exporter retries: StoreError \[STORE_BUSY\]: .*locked by another connection.*; caused by SqliteError \[SQLITE_BUSY\]: database is locked$/);
    } finally {
      holder.kill("SIGKILL");
    }
  });
});

describe("faults: a sink failing 30 % of its writes", () => {
  it("stores every span once in every sink, through 503s and the exporter's retries, logging each failure with its cause", async () => {
    const db = join(dir, "flaky.db");
    const store = openSqliteStore({ path: db });
    const mirror = memorySink("mirror");
    // A seeded generator (mulberry32), so that a failing run can be replayed exactly.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let failures = 0;
    let writes = 0;
    const flaky: Sink = {
      ...mirror,
      name: "flaky",
      async write(spans: readonly SpanRecord[]) {
        writes++;
        if (random() < 0.3) {
          failures++;
          throw new SinkError("flaky", `injected failure #${failures}`, { cause: new Error("ECONNRESET: the backend hung up") });
        }
        await mirror.write(spans);
      },
    };
    const logs: string[] = [];
    const collector = await startCollector({ sinks: [storeSink(store), flaky], port: 0, retryAfterSeconds: 1, log: (m) => logs.push(m) });
    const tracing = init({ endpoint: collector.tracesUrl, register: false, serviceName: "flaky-agent", exportQueue: { scheduledDelayMs: 5, maxBatchSpans: 10 } });
    const runs: string[] = [];
    for (let r = 0; r < 20; r++) {
      const result = await runWithResult("flaky-agent", { r }, async () => {
        for (let s = 0; s < 9; s++) await tool("work", { r, s }, (args) => args);
      });
      runs.push(result.runId);
    }
    for (let i = 0; i < 60 && tracing.stats().queuedBytes > 0; i++) await tracing.flush();
    const stats = tracing.stats();
    await tracing.shutdown();
    await collector.close();

    // 20 runs of 10 steps, each with its run-start span.
    expect(stats).toMatchObject({ exported: 220, dropped: 0, failedSpans: 0, queuedBytes: 0 });
    // About 30 % of writes failed (enough to mean something), and each was retried until it took.
    expect(failures).toBeGreaterThan(writes * 0.15);
    for (const runId of runs) {
      expect((await store.getRunSpans(runId)).length).toBe(11);
      expect((await store.getRun(runId))?.steps).toBe(10);
    }
    expect(storedSpanIds(db).size).toBe(220);
    expect(mirror.spans).toHaveLength(220);
    expect(logs).toHaveLength(failures);
    logs.forEach((line, i) => expect(line).toMatch(new RegExp(`^Tracewright collector: sink "flaky" failed to take \\d+ spans; answered 503 so the exporter retries: SinkError \\[SINK_WRITE_FAILED\\]: injected failure #${i + 1}; caused by Error: ECONNRESET: the backend hung up$`)));
    await store.close();
  });
});
