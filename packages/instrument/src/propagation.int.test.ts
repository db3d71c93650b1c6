import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { startCollector } from "@tracewright/collector-lambda";
import type { CollectorHandle } from "@tracewright/collector-lambda";
import { loadRunDetail, openSqliteStore } from "@tracewright/store";
import type { SqliteStore } from "@tracewright/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init } from "./init.js";
import type { Tracing } from "./init.js";
import { toHttpHeaders } from "./propagation.js";
import { runWithResult, tool } from "./steps.js";

// One run across two real processes over HTTP: this process calls a worker process with the
// context in headers; both export to one real collector; the store holds one run.

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const require = createRequire(import.meta.url);
const at = (name: string): string => JSON.stringify(pathToFileURL(require.resolve(name)).href);
const WORKER = `
import http from "node:http";
const { OTLPTraceExporter } = await import(${at("@opentelemetry/exporter-trace-otlp-http")});
const { SimpleSpanProcessor } = await import(${at("@opentelemetry/sdk-trace-base")});
const { context } = await import(${at("@opentelemetry/api")});
const { init, resume, fromHttpHeaders, run, tool } = await import(${JSON.stringify(pathToFileURL(dist).href)});
const tracing = init({ serviceName: "worker", register: false, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: process.env.TRACES }))] });
const server = http.createServer((req, res) => {
  context.with(resume(fromHttpHeaders(req.headers)), () =>
    run("worker", { path: req.url }, () => tool("lookup", { id: 7 }, () => ({ found: true }))),
  ).then(async (out) => { await tracing.flush(); res.end(JSON.stringify(out)); });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

let collector: CollectorHandle;
let store: SqliteStore;
let worker: ChildProcess;
let workerPort = 0;
let tracing: Tracing;

beforeAll(async () => {
  store = openSqliteStore({ path: ":memory:" });
  collector = await startCollector({ store, port: 0 });
  tracing = init({ serviceName: "client", register: false, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: collector.tracesUrl }))] });
  const script = join(mkdtempSync(join(tmpdir(), "tw-worker-")), "worker.mjs");
  writeFileSync(script, WORKER);
  // The worker imports the same packages by absolute path: it runs from a temporary folder.
  worker = spawn(process.execPath, [script], { env: { ...process.env, TRACES: collector.tracesUrl }, stdio: ["ignore", "pipe", "inherit"] });
  workerPort = await new Promise<number>((resolve, reject) => {
    worker.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    worker.once("exit", (code) => reject(new Error(`worker exited ${code}`)));
  });
});
afterAll(async () => {
  worker?.kill();
  await tracing?.shutdown();
  await collector?.close();
  await store?.close();
});

describe("propagation between two processes over HTTP", () => {
  it("records one run whose steps come from both processes, in one tree", async () => {
    const result = await runWithResult("client", { q: "x" }, () =>
      tool("call_worker", { id: 7 }, async () => {
        const response = await fetch(`http://127.0.0.1:${workerPort}/lookup`, { headers: toHttpHeaders() });
        return response.json() as Promise<unknown>;
      }),
    );
    expect(result.status).toBe("ok");
    await tracing.flush();
    const detail = await loadRunDetail(store, result.runId);
    expect(detail?.run).toMatchObject({ agent: "client", status: "ok", steps: 4 });
    expect(detail?.steps.map((s) => [s.key, s.depth])).toEqual([
      ["client", 0],
      ["client/tool:call_worker#0", 1],
      ["client/tool:call_worker#0/agent:worker#0", 2],
      ["client/tool:call_worker#0/agent:worker#0/tool:lookup#0", 3],
    ]);
    const services = new Set((await store.getRunSpans(result.runId)).map((s) => s.resource["service.name"]));
    expect(services).toEqual(new Set(["client", "worker"]));
  });
});
