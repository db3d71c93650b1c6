import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, compareIds, freePort, here, requireBuild, runJsonChild, startCollectorProcess, storedSpanIds } from "./collector.fixtures.js";
import type { CollectorProcess } from "./collector.fixtures.js";

// Load: the real collector (`tracewright collector`, its own process, SQLite file store on
// loopback) is offered RATE spans/s for SECONDS by another process sending real OTLP/HTTP JSON
// bodies; afterwards every span sent is in the store exactly once. The figures — achieved rate,
// ingest latency (POST to 200) percentiles, the collector's peak RSS — go to
// reports/reliability-load.json and stdout. Figures are reported, never asserted on (the machine
// is shared); what is asserted is that nothing was lost, duplicated or refused.
// TRACEWRIGHT_LOAD_RATE / TRACEWRIGHT_LOAD_SECONDS / TRACEWRIGHT_LOAD_BATCH shrink it for a quick try.

const RATE = Number(process.env.TRACEWRIGHT_LOAD_RATE ?? 5000);
const SECONDS = Number(process.env.TRACEWRIGHT_LOAD_SECONDS ?? 60);
const BATCH = Number(process.env.TRACEWRIGHT_LOAD_BATCH ?? 100);

interface SenderReport {
  batches: number;
  batchSpans: number;
  spans: number;
  offeredMs: number;
  elapsedMs: number;
  achievedRate: number;
  behindMs: number;
  maxInFlight: number;
  retries: number;
  failedBatches: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  windows: { fromS: number; requests: number; p50: number; p99: number }[];
}

/** The ids load-sender.mjs gives batch `b`: one trace per batch, span ids numbered across the load. */
function sentIds(batches: number, size: number): string[] {
  const ids: string[] = [];
  for (let b = 0; b < batches; b++) {
    const traceId = `10ad${b.toString(16).padStart(28, "0")}`;
    for (let i = 0; i < size; i++) ids.push(`${traceId}/${(b * size + i + 1).toString(16).padStart(16, "0")}`);
  }
  return ids;
}

const dir = mkdtempSync(join(tmpdir(), "tracewright-load-"));
let collector: CollectorProcess | undefined;
afterAll(async () => {
  await collector?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("load: the collector under a sustained stream", () => {
  it(`stores ${RATE} spans/s offered for ${SECONDS} s exactly once, reporting ingest latency and peak memory`, async () => {
    requireBuild();
    const db = join(dir, "traces.db");
    collector = await startCollectorProcess({ db, port: await freePort() });
    const startRss = collector.peakRss();
    // RSS over time, for the report: the peak is also read from VmHWM at the end.
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(collector?.peakRss() ?? 0), 1000);
    const sender = runJsonChild<SenderReport>(here("load-sender.mjs"), [collector.tracesUrl, String(RATE), String(SECONDS), String(BATCH)]);
    const report = await sender.result;
    clearInterval(sampler);
    const peakRssBytes = collector.peakRss();
    await collector.stop();

    const stored = storedSpanIds(db);
    const sqlite = new Database(db, { readonly: true });
    const runs = sqlite.prepare("SELECT count(*) AS n, sum(steps) AS steps, sum(CASE WHEN steps = ? THEN 0 ELSE 1 END) AS wrong FROM runs").get(BATCH) as { n: number; steps: number; wrong: number };
    sqlite.close();
    const { missing, duplicated, unexpected } = compareIds(sentIds(report.batches, report.batchSpans), stored);

    const figures = {
      offered: { spansPerSecond: RATE, seconds: SECONDS, batchSpans: BATCH, spans: report.spans },
      achievedSpansPerSecond: Math.round(report.achievedRate),
      elapsedSeconds: report.elapsedMs / 1000,
      senderBehindMs: Math.round(report.behindMs),
      maxInFlight: report.maxInFlight,
      ingestLatencyMs: report.latencyMs,
      ingestLatencyBy10s: report.windows,
      collectorRssMiB: { start: mib(startRss), peak: mib(peakRssBytes), samples: rssSamples.map(mib) },
      statuses: report.statuses,
      retries: report.retries,
      stored: stored.size,
      missing: missing.length,
      duplicated: duplicated.length,
      unexpected: unexpected.length,
    };
    mkdirSync(`${ROOT}reports`, { recursive: true });
    writeFileSync(`${ROOT}reports/reliability-load.json`, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(
      `load: ${report.spans} spans offered at ${RATE}/s, achieved ${figures.achievedSpansPerSecond}/s over ${figures.elapsedSeconds.toFixed(1)} s; ingest latency p50 ${report.latencyMs.p50.toFixed(1)} ms, p99 ${report.latencyMs.p99.toFixed(1)} ms, max ${report.latencyMs.max.toFixed(1)} ms; collector peak RSS ${figures.collectorRssMiB.peak} MiB; ${report.retries} retries`,
    );

    expect(report.failedBatches).toBe(0);
    expect({ missing: missing.slice(0, 5), duplicated: duplicated.slice(0, 5), unexpected: unexpected.slice(0, 5) }).toEqual({ missing: [], duplicated: [], unexpected: [] });
    expect(stored.size).toBe(report.spans);
    // The runs derived at ingest count each span once: a span stored twice would show here too.
    expect(runs).toEqual({ n: report.batches, steps: report.spans, wrong: 0 });
    expect(peakRssBytes).toBeGreaterThan(0);
  });
});

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
