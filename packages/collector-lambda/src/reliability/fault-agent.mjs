#!/usr/bin/env node
// The fault suites' agent, a process of its own: @tracewright/instrument as a user runs it
// (init() with the real OTLP/HTTP exporter, endpoint from OTEL_EXPORTER_OTLP_ENDPOINT), RUNS
// runs of STEPS tool calls each, DELAY_MS per call, while the test breaks the collector under
// it. Then it flushes (until the queue is empty, for at most FLUSH_S seconds) and prints one
// JSON line: each run's id and step count, the export queue's stats, and the diagnostic
// warnings it logged (each failure with its cause).
//
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:PORT node fault-agent.mjs RUNS STEPS DELAY_MS [FLUSH_S]
import { DiagLogLevel, diag } from "@opentelemetry/api";
import { init, runWithResult, tool } from "@tracewright/instrument";

const [runsArg = "20", stepsArg = "10", delayArg = "50", flushArg = "60"] = process.argv.slice(2);
const warnings = [];
diag.setLogger(
  {
    error: (m) => warnings.push(`error: ${m}`),
    warn: (m) => warnings.push(`warn: ${m}`),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

const tracing = init({ serviceName: "fault-agent", exportQueue: { scheduledDelayMs: 100, maxBatchSpans: 50 } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const runs = [];
for (let r = 0; r < Number(runsArg); r++) {
  const result = await runWithResult("fault-agent", { r }, async () => {
    for (let s = 0; s < Number(stepsArg); s++) await tool("work", { r, s }, async (args) => (await sleep(Number(delayArg)), { done: args }));
  });
  // Steps: the tools and the agent's root; spans: those and the run-start span, which is no step.
  runs.push({ runId: result.runId, status: result.status, steps: Number(stepsArg) + 1, spans: Number(stepsArg) + 2 });
  console.log(`progress ${r + 1}`);
}
// The collector may still be away (or locked): flush until everything is acknowledged.
const deadline = Date.now() + Number(flushArg) * 1000;
for (;;) {
  await tracing.flush();
  if (tracing.stats().queuedBytes === 0 || Date.now() > deadline) break;
  await sleep(500);
}
const stats = tracing.stats();
await tracing.shutdown();
console.log(JSON.stringify({ runs, stats, warnings }));
