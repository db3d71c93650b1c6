#!/usr/bin/env node
// The agent process of `instrument.export.10k` (bench/run.mjs starts it, against a collector
// process): paces tool steps with 1 KB input and output states at a target rate for a while,
// in runs of a fixed size, through init()'s real export path (the byte-bounded queue, the
// OTLP/HTTP exporter), flushes, and prints one JSON line: what it did and tracing.stats().
// Usage: node bench/export.bench.mjs <traces endpoint> [steps/s = 10000] [seconds = 10] [steps per run = 1000]
import { performance } from "node:perf_hooks";
import { setImmediate } from "node:timers";
import { init, runWithResult, tool } from "@tracewright/instrument";

const [endpoint, rateArg, secondsArg, perRunArg] = process.argv.slice(2);
if (endpoint === undefined) throw new Error("usage: export.bench.mjs <traces endpoint> [steps/s] [seconds] [steps per run]");
const rate = Number(rateArg ?? 10_000);
const seconds = Number(secondsArg ?? 10);
const perRun = Number(perRunArg ?? 1000);

/** About 1 KB of canonical JSON. */
function kb(seed) {
  return { query: `lambda pricing ${seed}`, items: Array.from({ length: 11 }, (_, i) => ({ id: `doc-${seed}-${i}`, score: i / 7, text: "lorem ipsum dolor sit amet" })) };
}
// Each step's states are its own, as in a real agent (no two steps index or hash the same text).

const tracing = init({ endpoint, serviceName: "export-bench", register: false });
const total = rate * seconds;
const started = performance.now();
let steps = 0;
let runs = 0;
let lateMs = 0;
while (steps < total) {
  await runWithResult("export-bench", { run: runs }, async () => {
    for (let i = 0; i < perRun && steps < total; i++) {
      // Paced: never ahead of the target rate; behind it, catch up as fast as it can.
      const due = started + (steps / rate) * 1000;
      const now = performance.now();
      if (now < due - 1) await new Promise((resolve) => setTimeout(resolve, due - now));
      else {
        lateMs = Math.max(lateMs, now - due);
        // Behind pace, still let I/O run now and then, as an agent awaiting its model and tools does.
        if (steps % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const input = kb(`in-${steps}`);
      await tool("search", input, () => kb(`out-${steps}`));
      steps++;
    }
  });
  runs++;
}
const elapsedMs = performance.now() - started;
const flushStarted = performance.now();
await tracing.flush();
const flushMs = performance.now() - flushStarted;
// flush() gives up after the SDK's 30 s; shutdown() waits for the rest, so the stats are final.
await tracing.shutdown();
const totalMs = performance.now() - started;
console.log(JSON.stringify({ steps, runs, spans: steps + runs, elapsedMs, flushMs, totalMs, maxLateMs: lateMs, stats: tracing.stats() }));
