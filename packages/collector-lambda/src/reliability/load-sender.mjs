#!/usr/bin/env node
// The load suite's sender, a process of its own: offers RATE spans/s for SECONDS to the
// collector at URL as real OTLP/HTTP JSON bodies of BATCH spans each (one run per body), on a
// fixed schedule (open loop: a slow answer does not slow the offer, up to MAX_IN_FLIGHT requests
// at once). A retryable answer (429/502/503/504, a broken connection) is retried with backoff,
// as an OTLP exporter would, and counted. Prints one JSON line: what it sent and how each
// request went. Span ids are a pure function of the batch number, so the test can check the
// store for every one of them.
//
//   node load-sender.mjs URL RATE SECONDS BATCH
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

const [url, rateArg = "5000", secondsArg = "60", batchArg = "100"] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const batchSpans = Number(batchArg);
const MAX_IN_FLIGHT = 64;
const batches = Math.round((rate * seconds) / batchSpans);
const intervalMs = (batchSpans / rate) * 1000;
const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
const T0 = 1767225600000000000n;

/** The ids of batch `b`: one trace per batch, span ids numbered across the whole load (load.test.ts checks the store for these). */
function batchIds(b, size) {
  const traceId = `10ad${b.toString(16).padStart(28, "0")}`;
  return Array.from({ length: size }, (_, i) => ({ traceId, spanId: (b * size + i + 1).toString(16).padStart(16, "0") }));
}

const text = (key, value) => ({ key, value: { stringValue: value } });

function body(b) {
  const ids = batchIds(b, batchSpans);
  const runId = `load-${b}`;
  const root = ids[0].spanId;
  const start = T0 + BigInt(b) * 1_000_000n;
  const spans = ids.map(({ traceId, spanId }, i) => ({
    traceId,
    spanId,
    ...(i === 0 ? {} : { parentSpanId: root }),
    name: i === 0 ? "invoke_agent load" : `execute_tool search`,
    kind: 1,
    startTimeUnixNano: String(start + BigInt(i) * 1000n),
    endTimeUnixNano: String(start + BigInt(i) * 1000n + 900n),
    attributes: [
      text("tracewright.run.id", runId),
      text("tracewright.step.key", i === 0 ? "load" : `load/tool:search#${i - 1}`),
      text("gen_ai.operation.name", i === 0 ? "invoke_agent" : "execute_tool"),
      text("input.value", JSON.stringify({ q: `query ${b}.${i}`, context: "lorem ipsum dolor sit amet ".repeat(6) })),
      text("input.mime_type", "application/json"),
      text("output.value", JSON.stringify({ hits: [`doc://${b}/${i}`, `doc://${b}/${i + 1}`] })),
      text("output.mime_type", "application/json"),
    ],
    status: { code: 0 },
  }));
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: [text("service.name", "load-agent")] }, scopeSpans: [{ scope: { name: "load-sender" }, spans }] }] }));
}

/** One POST; resolves with the status (0 for a broken connection) and the time to its answer. */
function post(payload) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(url, { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": payload.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, retryAfter: Number(res.headers["retry-after"] ?? 0) }));
    });
    req.on("error", () => resolve({ status: 0, ms: performance.now() - started, retryAfter: 0 }));
    req.end(payload);
  });
}

const latencies = [];
/** Per 10 s of the schedule: the latencies of the batches due then (does latency grow with the store?). */
const windows = [];
const statuses = {};
let retries = 0;
let failedBatches = 0;
let inFlight = 0;
let maxInFlight = 0;
let behindMs = 0;

async function send(b) {
  const payload = body(b);
  const window = (windows[Math.floor((b * intervalMs) / 10_000)] ??= []);
  for (let attempt = 0; attempt < 8; attempt++) {
    const answer = await post(payload);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 200) {
      latencies.push(answer.ms);
      window.push(answer.ms);
      return;
    }
    if (![0, 429, 502, 503, 504].includes(answer.status)) break;
    retries++;
    await new Promise((r) => setTimeout(r, answer.retryAfter > 0 ? answer.retryAfter * 1000 : 100 * 2 ** attempt));
  }
  failedBatches++;
}

const started = performance.now();
const pending = new Set();
for (let b = 0; b < batches; b++) {
  const due = started + b * intervalMs;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  else behindMs = Math.max(behindMs, -wait);
  while (inFlight >= MAX_IN_FLIGHT) await Promise.race(pending);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  const p = send(b).finally(() => {
    inFlight--;
    pending.delete(p);
  });
  pending.add(p);
}
const offeredMs = performance.now() - started;
await Promise.all(pending);
const elapsedMs = performance.now() - started;
agent.destroy();

const pctOf = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
};
const pct = (p) => pctOf(latencies, p);
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    batches,
    batchSpans,
    spans: batches * batchSpans,
    offeredRate: rate,
    offeredMs,
    elapsedMs,
    achievedRate: (batches * batchSpans) / (elapsedMs / 1000),
    behindMs,
    maxInFlight,
    retries,
    failedBatches,
    statuses,
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies.at(-1) ?? null },
    windows: windows.map((w, i) => ({ fromS: i * 10, requests: w.length, p50: pctOf(w, 50), p99: pctOf(w, 99) })),
  }),
);
