#!/usr/bin/env node
/* global document -- the functions passed to page.waitForFunction run in the browser. */
// `dashboard.run20k.ready`: how long the run page of a 20,000-step run takes, in headless
// Chromium against `next start`, until it is ready for input — the step tree's active row has
// focus and answers a key press (an arrow key moves focus to the next row). Baseline: the same
// for a 20-step run, measured in the same process and run (the ratio is what to watch).
// On stderr it also reports the run list (`/` with filters, search and sorts) and `/insights`
// at 100,000 runs in the same store (BENCH_LIST_RUNS), and the 20k-step page's size.
//
// Needs the built packages and dashboard: `npx tsc -b tsconfig.json` and
// `(cd apps/dashboard && npx next build)`. Prints one JSON line on stdout:
// { "name": "dashboard.run20k.ready", "value", "unit": "ms", "baseline", "ratio" }; details go to
// stderr. Nothing here asserts on time.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";
import { openSqliteStore } from "@tracewright/store";
import { freePort, makeSpan } from "../packages/store/dist/testing.js";

const here = dirname(fileURLToPath(import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const root = join(here, "..");
const dashboardDir = join(root, "apps", "dashboard");
const ROUNDS = 5;
/** Runs added to the store for the run-list figures (stderr). Env: `BENCH_LIST_RUNS`; default 100,000; 0 skips. */
const LIST_RUNS = Number(process.env.BENCH_LIST_RUNS ?? 100_000);
const log = (...args) => console.error(...args);

if (!existsSync(join(dashboardDir, ".next", "BUILD_ID"))) {
  log("The dashboard is not built: run (cd apps/dashboard && npx next build) first.");
  process.exit(1);
}

/** A run of `nodes` agent nodes, each with a model call and `tools` tool calls; the last tool fails. */
function seedRun(runId, nodes, tools) {
  const spans = [];
  const total = nodes * (tools + 2) * 2 + 10;
  spans.push(makeSpan({ run: runId, key: "supervisor", startMs: 0, endMs: total, error: "tool failed", input: { goal: "Summarize the pricing pages", budget: 20 } }));
  let t = 1;
  for (let n = 0; n < nodes; n++) {
    const node = `supervisor/node:step#${n}`;
    const last = n === nodes - 1;
    const nodeStart = t;
    const children = [];
    const llmStart = t;
    t += 1;
    children.push(
      makeSpan({
        run: runId,
        key: `${node}/llm:chat#0`,
        kind: "llm",
        parent: node,
        startMs: llmStart,
        endMs: t,
        input: { messages: [{ role: "user", content: `Plan step ${n}` }] },
        output: { text: `Call the tools for step ${n}` },
        attributes: { "gen_ai.request.model": "claude-sonnet", "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 },
      }),
    );
    for (let k = 0; k < tools; k++) {
      const s = t;
      t += 1;
      const fail = last && k === tools - 1;
      children.push(
        makeSpan({ run: runId, key: `${node}/tool:fetch_document#${k}`, kind: "tool", parent: node, startMs: s, endMs: t, input: { url: `doc://page/${n}/${k}` }, output: fail ? undefined : { status: 200, body: `Page ${n}.${k}: prices and plans` }, ...(fail ? { error: "HTTP 503 from doc://pricing" } : {}) }),
      );
    }
    spans.push(makeSpan({ run: runId, key: node, kind: "node", parent: "supervisor", startMs: nodeStart, endMs: t, input: { step: n }, output: { step: n + 1 }, ...(last ? { error: "tool failed" } : {}) }), ...children);
  }
  return spans;
}

/** `n` small runs a minute apart, two agents, one in ten failed, varied text: the run list at scale. */
async function seedRuns(store, n) {
  const cities = ["Paris", "Lyon", "Oslo", "Lima", "Quito", "Hanoi", "Accra"];
  const t0 = Date.now() - n * 60_000 - Date.UTC(2026, 0, 1);
  let batch = [];
  for (let i = 0; i < n; i++) {
    const run = `list-${i}`;
    const agent = i % 2 ? "supervisor" : "choreography";
    const s = t0 + i * 60_000;
    const city = cities[i % cities.length];
    batch.push(makeSpan({ run, key: agent, startMs: s, endMs: s + 50 + ((i * 37) % 5000), input: { goal: `Weather in ${city} #${i}` }, ...(i % 10 === 0 ? { error: "HTTP 503 from doc://pricing" } : {}) }));
    batch.push(makeSpan({ run, key: `${agent}/llm:chat#0`, kind: "llm", parent: agent, startMs: s + 1, endMs: s + 40, output: { text: `It is sunny in ${city}` }, attributes: { "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 } }));
    batch.push(makeSpan({ run, key: `${agent}/tool:web_search#0`, kind: "tool", parent: agent, startMs: s + 41, endMs: s + 49, input: { q: `weather ${city}` }, output: { hits: [`https://example.com/${i}`] } }));
    if (batch.length >= 6000) {
      await store.ingest(batch);
      batch = [];
    }
  }
  await store.ingest(batch);
}

/** Median time of GET `url` (the whole server-rendered page), after one warm-up. */
async function timeGet(url, rounds = 5) {
  await (await fetch(url)).text();
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    await (await fetch(url)).text();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Bytes on the wire of a gzip-encoded answer (fetch would decompress it). */
function gzipBytes(url) {
  return new Promise((resolve, reject) => {
    get(url, { headers: { "accept-encoding": "gzip" } }, (response) => {
      let bytes = 0;
      response.on("data", (chunk) => (bytes += chunk.length));
      response.on("end", () => resolve(bytes));
      response.on("error", reject);
    }).on("error", reject);
  });
}

async function waitFor(url, child, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * Navigates to the run page and times until the tree is ready for input: its active row (the
 * step the page opened on — for a failed run, where it failed) has focus and a key press moves
 * focus to the neighbouring row.
 */
async function timeReady(page, url) {
  const started = performance.now();
  await page.goto(url, { waitUntil: "commit" });
  const active = page.locator('[data-testid="step-tree"] [role="treeitem"][tabindex="0"]');
  // Until the page is hydrated a key press does nothing: press again until one is answered.
  for (let attempt = 0; attempt < 2000; attempt++) {
    if ((await active.count()) === 0) {
      await page.waitForTimeout(5);
      continue;
    }
    const index = Number(await active.first().evaluate((a) => a.closest("[data-index]").getAttribute("data-index")));
    await active.first().focus();
    await page.keyboard.press(index > 0 ? "ArrowUp" : "ArrowDown");
    const expected = String(index > 0 ? index - 1 : index + 1);
    const moved = await page
      .waitForFunction((want) => document.activeElement?.closest("[data-index]")?.getAttribute("data-index") === want, expected, { polling: "raf", timeout: 50 })
      .then(() => true, () => false);
    if (moved) return performance.now() - started;
  }
  throw new Error(`${url}: the step tree never answered a key press`);
}

const dir = mkdtempSync(join(tmpdir(), "tracewright-dashboard-bench-"));
const db = join(dir, "traces.db");
let next;
let browser;
try {
  const store = openSqliteStore({ path: db });
  let t = performance.now();
  const big = seedRun("bench-20k", 4000, 3); // 1 + 4000 × (1 node + 1 model call + 3 tools) = 20,001 steps
  for (let i = 0; i < big.length; i += 5000) await store.ingest(big.slice(i, i + 5000));
  await store.ingest(seedRun("bench-20", 4, 3)); // 21 steps
  log(`seeded ${big.length} + 21 steps in ${Math.round(performance.now() - t)} ms`);
  if (LIST_RUNS > 0) {
    t = performance.now();
    await seedRuns(store, LIST_RUNS);
    log(`seeded ${LIST_RUNS} more runs (3 steps each) in ${Math.round(performance.now() - t)} ms`);
  }
  await store.close();

  const port = await freePort();
  next = spawn(process.execPath, [join(root, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: dashboardDir,
    env: { ...process.env, TRACEWRIGHT_DB: db, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/`, next);

  if (LIST_RUNS > 0) {
    for (const query of ["", "?status=error", "?sort=duration", "?range=24h&agent=supervisor", "?errors=yes&min=4000", "?q=example.com%2F4242", "?q=sunny", "?q=sunny&sort=duration"]) {
      log(`run list at ${LIST_RUNS + 2} runs: GET /${query} in ${(await timeGet(`${base}/${query}`)).toFixed(1)} ms (median, whole page)`);
    }
    log(`insights at ${LIST_RUNS + 2} runs: GET /insights in ${(await timeGet(`${base}/insights`, 3)).toFixed(1)} ms (median, whole page)`);
  }
  t = performance.now();
  const html = await (await fetch(`${base}/runs/bench-20k`)).text();
  log(`20k-step run page: ${(Buffer.byteLength(html) / 1024).toFixed(0)} KB of HTML (with the RSC payload), ${((await gzipBytes(`${base}/runs/bench-20k`)) / 1024).toFixed(0)} KB gzipped, served in ${Math.round(performance.now() - t)} ms`);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const small = [];
  const large = [];
  await timeReady(page, `${base}/runs/bench-20`); // warm-up: compiles nothing, but fills caches
  await timeReady(page, `${base}/runs/bench-20k`);
  for (let r = 0; r < ROUNDS; r++) {
    small.push(await timeReady(page, `${base}/runs/bench-20`));
    large.push(await timeReady(page, `${base}/runs/bench-20k`));
  }
  const rows = await page.locator('[data-testid="step-row"]').count();
  log(`20k-step run: ${rows} rows in the DOM; ready in ${large.map((x) => Math.round(x)).join(", ")} ms; 20-step run: ${small.map((x) => Math.round(x)).join(", ")} ms`);
  const value = median(large);
  const baseline = median(small);
  console.log(JSON.stringify({ name: "dashboard.run20k.ready", value: Math.round(value * 100) / 100, unit: "ms", baseline: Math.round(baseline * 100) / 100, ratio: Math.round((value / baseline) * 1000) / 1000 }));
} finally {
  await browser?.close();
  if (next !== undefined && next.exitCode === null) next.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
