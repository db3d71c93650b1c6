#!/usr/bin/env node
// `npm run bench`: measures, prints a table and writes bench/results.json (the contract's
// format: { name, value, unit, baseline?, ratio? }). Every ratio compares against a baseline
// measured in the same process and run, because these machines are shared and noisy.
// Nothing here asserts on time: a benchmark measures.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { context, trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { Tracewright, init, runWithResult, tool, node } from "@tracewright/instrument";
import { decodeOtlpJson, decodeOtlpProtobuf } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import { CollectingProcessor, replay } from "@tracewright/replay";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const results = [];

/** `ratio`, when given, is the paired rounds' own (see {@link paired}); else value / baseline. */
function record(name, value, unit, baseline, ratio) {
  const entry = { name, value: round(value), unit };
  if (baseline !== undefined) {
    entry.baseline = round(baseline);
    entry.ratio = round(ratio ?? value / baseline, 3);
  }
  results.push(entry);
  console.log(`${name.padEnd(34)} ${String(entry.value).padStart(12)} ${unit.padEnd(8)}${baseline === undefined ? "" : `  baseline ${entry.baseline} ${unit}, ratio ${entry.ratio}`}`);
}

function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Median time per operation (ms) of `fn` and of the baseline, run in rounds of alternating
 * blocks, after a block of each to warm up; and `ratio`, the median of the rounds' own ratios
 * (each block of `fn` against the baseline's block beside it), which a machine whose speed drifts
 * within a run (these shared ones do, by up to 1.7×) leaves alone where the two medians, taken from
 * different rounds, would not. `rounds` is odd, so 1 / ratio is the median of the inverse ratios.
 */
async function paired(fn, baseline, { rounds = 15, perRound = 200, clock = () => performance.now() } = {}) {
  const a = [];
  const b = [];
  const ratios = [];
  for (let i = 0; i < Math.max(3, perRound); i++) {
    await fn();
    await baseline();
  }
  for (let r = 0; r < rounds; r++) {
    let t = clock();
    for (let i = 0; i < perRound; i++) await baseline();
    const base = (clock() - t) / perRound;
    t = clock();
    for (let i = 0; i < perRound; i++) await fn();
    const value = (clock() - t) / perRound;
    a.push(value);
    b.push(base);
    ratios.push(value / base);
  }
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { value: median(a), baseline: median(b), ratio: median(ratios) };
}

function state(bytes) {
  const items = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const item = { id: `doc-${i}`, score: i / 7, text: "lorem ipsum dolor sit amet ".repeat(3), tags: ["a", "b"] };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return { query: "lambda pricing", items };
}

/**
 * This process's CPU time (ms). Both sides of the instrument suite run wholly on this thread (no
 * span processor, nothing deferred), so their CPU time is what a call costs; wall time on a
 * machine shared by many jobs also counts the time spent waiting for a core, which swings the
 * ratio far more than the code does.
 */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function instrumentOverhead() {
  const provider = new BasicTracerProvider();
  const bare = provider.getTracer("bench");
  // A tool call is a step of a run: each side is measured as a child span, ours inside a run, the
  // bare one under a bare parent (so that each pays the SDK's handling of a parent).
  const bareParent = trace.setSpan(context.active(), bare.startSpan("invoke_agent bench"));
  /** A `tool()` call with `bytes` of input and output, paired with a bare child span + `JSON.stringify` of both. */
  const toolCall = (bytes) => {
    const input = state(bytes);
    const output = state(bytes);
    return paired(
      () => tool("web_search", input, () => output),
      async () => {
        const span = bare.startSpan("execute_tool web_search", undefined, bareParent);
        span.setAttribute("input.value", JSON.stringify(input));
        span.setAttribute("output.value", JSON.stringify(output));
        span.end();
        return output;
      },
      // Blocks of ~20 ms a side (2,000 calls at 1 KB, 200 at 10 KB, 20 at 100 KB): in a shorter one
      // (200 1 KB calls, 3 ms) a scavenge, 0.3–1 ms, falls in one side's block or the other's by
      // chance, and single rounds' ratios swung 0.5–5.5 (runs' medians 1.19–1.46); over ~20 ms
      // each side pays for its own garbage.
      { perRound: bytes >= 100 * 1024 ? 20 : bytes >= 10 * 1024 ? 200 : 2000, rounds: 31, clock: cpuMs },
    );
  };
  const tracing = init({ spanProcessors: [], register: false });
  await runWithResult("bench", {}, async () => {
    for (const [label, bytes] of [["1kb", 1024], ["10kb", 10 * 1024], ["100kb", 100 * 1024]]) {
      const m = await toolCall(bytes);
      record(`instrument.overhead.${label}`, m.value * 1000, "µs/call", m.baseline * 1000, m.ratio);
    }
  });
  await tracing.shutdown();
  // The same call in a run the sampler left out (`sampleRatio`): its states are not serialized.
  const unsampled = init({ spanProcessors: [], register: false, sampleRatio: 0 });
  let m;
  await runWithResult("bench", {}, async () => {
    m = await toolCall(1024);
  });
  record("instrument.overhead.1kb.sampled_out", m.value * 1000, "µs/call", m.baseline * 1000, m.ratio);
  await unsampled.shutdown();
}

async function makeSpans(count) {
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [{ onStart() {}, onEnd: (s) => readable.push(s), forceFlush: async () => {}, shutdown: async () => {} }] });
  const readable = [];
  const tracer = provider.getTracer("bench");
  await runWithResult("bench", { n: count }, async () => {
    for (let i = 0; i < count - 1; i++) await tool("t", { i, q: "small state" }, () => ({ ok: i }));
  }, { tracer });
  void collected;
  return readable;
}

/**
 * Spans per OTLP body: what the collector is sent, the instrument's export batch
 * (export-queue.ts, `maxBatchSpans`) and the OpenTelemetry SDK's (`maxExportBatchSize`), both 512.
 */
const BODY_SPANS = 512;

async function collectorThroughput() {
  const spans = await makeSpans(5000);
  const bodies = (serialize) => {
    const out = [];
    for (let i = 0; i < spans.length; i += BODY_SPANS) out.push(Buffer.from(serialize(spans.slice(i, i + BODY_SPANS))));
    return out;
  };
  const json = bodies((chunk) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(chunk)));
  const proto = bodies((chunk) => ProtobufTraceSerializer.serializeRequest(chunk));
  // Into memory (the store's own cost, no disk), then into a file as `npm start` and the collector CLI write (WAL).
  const dir = mkdtempSync(join(tmpdir(), "tw-bench-collector-"));
  // One run's spans in each body, then spans of 16 runs interleaved in each, as a collector that
  // many agents export to is sent them: each run costs its own rows (its runs row, its place in
  // each index by run and trace), per batch.
  for (const runs of [1, 16]) {
    for (const [label, body, decode, file] of [
      ["json", json, decodeOtlpJson, undefined],
      ["protobuf", proto, decodeOtlpProtobuf, undefined],
      ["json.file", json, decodeOtlpJson, "json.db"],
      ["protobuf.file", proto, decodeOtlpProtobuf, "protobuf.db"],
    ]) {
      const store = openSqliteStore({ path: file === undefined ? ":memory:" : join(dir, `${runs}-${file}`) });
      // Each round stores the spans again as new runs, as a collector stores its traffic: the 5,000
      // spans are spread over `runs` runs, each with a fresh random trace id (and run id), so every
      // write is a real insert and each run's rows land where a new run's would.
      let round = 0;
      const m = await paired(
        async () => {
          round++;
          const ids = Array.from({ length: runs }, () => randomBytes(16).toString("hex"));
          let inserted = 0;
          let n = 0;
          for (const b of body) {
            const decoded = decode(b);
            for (const s of decoded.spans) {
              s.traceId = ids[n++ % runs];
              s.attributes[Tracewright.RUN_ID] = s.traceId;
            }
            inserted += (await store.ingest(decoded.spans)).inserted;
          }
          if (inserted !== spans.length) throw new Error(`round ${round}: ${inserted} of ${spans.length} spans inserted`);
        },
        async () => {
          for (const b of json) JSON.parse(b.toString("utf8"));
        },
        // Into memory, CPU time, as the instrument suite (cpuMs): the decode, the translation and
        // SQLite all run on this thread, and on a shared machine wall time also counts the waits for
        // a core (two runs minutes apart read 0.35 and 0.46). Into a file, wall time: a checkpoint's
        // fsyncs hold the thread without using it, and a throughput into a file counts them.
        { rounds: 11, perRound: 2, ...(file === undefined ? { clock: cpuMs } : {}) },
      );
      record(`collector.throughput.${label}${runs === 1 ? "" : `.${runs}runs`}`, spans.length / (m.value / 1000), "spans/s", spans.length / (m.baseline / 1000), 1 / m.ratio);
      await store.close();
    }
  }
}

async function storeQuery() {
  const path = join(mkdtempSync(join(tmpdir(), "tw-bench-")), "traces.db");
  const store = openSqliteStore({ path });
  const total = 1_000_000;
  const perRun = 10;
  let batch = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const run = Math.floor(i / perRun);
    const startNs = BigInt(Date.UTC(2026, 0, 1) + i) * 1_000_000n;
    batch.push({
      traceId: run.toString(16).padStart(32, "0"),
      spanId: (i + 1).toString(16).padStart(16, "0"),
      ...(i % perRun === 0 ? {} : { parentSpanId: (run * perRun + 1).toString(16).padStart(16, "0") }),
      name: "step",
      kind: 1,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + 1_000_000n).toString(),
      status: { code: i % 97 === 0 ? 2 : 0 },
      attributes: { "tracewright.run.id": `run-${run}`, "tracewright.step.key": `a/tool:t#${i % perRun}`, "tracewright.step.kind": "tool", "input.value": '{"q":"x"}' },
      events: [],
      links: [],
      resource: {},
    });
    if (batch.length === 10_000) {
      await store.ingest(batch);
      batch = [];
    }
  }
  const ingestMs = performance.now() - t0;
  record("store.ingest.1m", total / (ingestMs / 1000), "spans/s");
  const runs = total / perRun;
  const samples = [];
  for (let i = 0; i < 200; i++) {
    const id = `run-${Math.floor((i * 7919) % runs)}`;
    const t = performance.now();
    await store.getRun(id);
    await store.getRunSpans(id);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  record("store.query.run", samples[Math.floor(samples.length / 2)], "ms");
  const t1 = performance.now();
  for (let i = 0; i < 50; i++) await store.listRuns({ status: "error", limit: 50 });
  record("store.query.list", (performance.now() - t1) / 50, "ms");
  // The dashboard's charts over the whole store: run counts and tokens by bucket, p50/p95 by name.
  const t2 = performance.now();
  for (let i = 0; i < 5; i++) await store.runStats();
  record("store.query.stats", (performance.now() - t2) / 5, "ms");
  await store.close();
}

async function replaySpeed() {
  const store = openSqliteStore({ path: ":memory:" });
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [collected] });
  const agent = {
    name: "bench",
    run: (input, runOptions) =>
      runWithResult("bench", input, async (ctx) => {
        let total = 0;
        for (let n = 0; n < 100; n++) {
          total += await node("step", { n, total }, async (s) => {
            let sum = 0;
            for (let i = 0; i < 8; i++) sum += (await tool("lookup", { n: s.n, i }, (a) => ({ v: a.n * a.i }))).v;
            sum += ctx.random() > 2 ? 1 : 0;
            return sum;
          });
        }
        return { total };
      }, runOptions),
  };
  const t = performance.now();
  const recorded = await agent.run({ size: 1000 }, { tracer: provider.getTracer("bench") }, { fixes: [] });
  const recordMs = performance.now() - t;
  await store.ingest(collected.spans);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t2 = performance.now();
    const report = await replay({ store, runId: recorded.runId, mode: "reproduce", agents: [agent] });
    times.push(performance.now() - t2);
    if (report.outcome !== "reproduced") throw new Error(`bench replay did not reproduce: ${report.summary}`);
  }
  times.sort((a, b) => a - b);
  record("replay.reproduce.1000steps", times[2], "ms", recordMs);
  await store.close();
}

/**
 * Runs a benchmark script as its own process (stderr passed through) and answers the JSON of
 * the last stdout line that holds an object, or prints `name (failed: …)` and answers undefined.
 */
function runJsonChild(name, script, args = []) {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 300_000 });
  const line = result.stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (result.status !== 0 || line === undefined) {
    console.log(`${name.padEnd(34)} (failed: exit ${result.status ?? result.signal})`);
    return undefined;
  }
  return JSON.parse(line);
}

function dashboard() {
  const script = join(here, "dashboard.bench.mjs");
  if (!existsSync(script)) return;
  const entry = runJsonChild("dashboard.run20k.ready", script);
  if (entry !== undefined) record(entry.name, entry.value, entry.unit, entry.baseline);
}

/** The kernel's clock ticks per second (`getconf CLK_TCK`), asked once. */
let clockTicks;

/** A process's CPU time so far (ms, user + system), from /proc; NaN where there is none. */
function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command name (in parentheses, which may hold spaces): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    clockTicks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
    return (ticks / clockTicks) * 1000;
  } catch {
    return Number.NaN;
  }
}

/**
 * `instrument.export.10k`: an agent process (export.bench.mjs) records 10,000 steps/s with 1 KB
 * states for 10 s into a collector process on loopback with the SQLite store; afterwards the
 * stored spans are counted. Records the steps/s the agent achieved, the spans that did not reach
 * the store (`instrument.export.10k.dropped`: sent minus stored, whatever the cause) and the
 * collector's CPU time from the agent process's start to its exit, as a share of the agent's run
 * (`instrument.export.10k.collector_cpu`; the background search index is mostly built after).
 */
async function exportThroughput() {
  const dir = mkdtempSync(join(tmpdir(), "tw-bench-export-"));
  const db = join(dir, "traces.db");
  const cli = join(here, "..", "packages", "cli", "bin", "tracewright.js");
  const collector = spawn(process.execPath, [cli, "collector", "--port", "0", "--db", db], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    collector.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) resolve(match[1]);
    });
    collector.once("exit", (code) => reject(new Error(`the collector exited (${code}) before listening`)));
  });
  const cpuBefore = processCpuMs(collector.pid);
  const sent = runJsonChild("instrument.export.10k", join(here, "export.bench.mjs"), [`${url}/v1/traces`, "10000", "10", "1000"]);
  const collectorCpuMs = processCpuMs(collector.pid) - cpuBefore;
  const exited = new Promise((resolve) => collector.once("exit", resolve));
  collector.kill("SIGTERM");
  await exited;
  if (sent === undefined) return;
  const store = openSqliteStore({ path: db });
  let stored = 0;
  for (let page = await store.listRuns({ agent: "export-bench", limit: 1000 }); ; page = await store.listRuns({ agent: "export-bench", limit: 1000, cursor: page.nextCursor })) {
    for (const run of page.runs) stored += run.steps;
    if (page.nextCursor === undefined) break;
  }
  await store.close();
  // No baseline: 10,000 steps/s is the pace asked of the agent, not a measurement.
  record("instrument.export.10k", sent.steps / (sent.elapsedMs / 1000), "steps/s");
  record("instrument.export.10k.stored", stored / (sent.totalMs / 1000), "spans/s");
  record("instrument.export.10k.dropped", sent.spans - stored, "spans");
  // What taking them cost the collector process: its CPU time (user + system) over the agent's whole run, in % of one core.
  if (Number.isFinite(collectorCpuMs)) record("instrument.export.10k.collector_cpu", (collectorCpuMs / sent.totalMs) * 100, "% core");
  console.log(`  ${sent.spans} spans sent in ${sent.runs} runs, ${stored} stored (spans/s from the agent's start to its last export); agent stats ${JSON.stringify(sent.stats)}; at most ${Math.round(sent.maxLateMs)} ms behind pace`);
}

const suites = { instrument: instrumentOverhead, export: exportThroughput, collector: collectorThroughput, store: storeQuery, replay: replaySpeed, dashboard };
console.log(`Tracewright benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);
for (const [name, suite] of Object.entries(suites)) {
  if (only !== undefined && only !== name) continue;
  await suite();
}
writeFileSync(join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${join("bench", "results.json")}`);
