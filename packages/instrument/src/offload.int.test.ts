import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startCollector } from "@tracewright/collector-lambda";
import { loadRunDetail, openSqliteStore } from "@tracewright/store";
import { freePort } from "@tracewright/store/testing";
import { describe, expect, it } from "vitest";
import { PayloadMarker } from "./conventions.js";
import { init } from "./init.js";
import { hashJson } from "./hash.js";
import { serialize } from "./serialize.js";
import { runWithResult, tool } from "./steps.js";

// States sent by reference through a real collector on loopback: retried while it is down,
// counted (and named on read) when the queue could not take them.

const big = { rows: Array.from({ length: 12_000 }, (_, i) => ({ i, text: "lorem ipsum dolor" })) };

/**
 * A proxy in front of `target` that notes each request as `METHOD path content-type content-encoding`
 * (and when each PUT came, in `putTimes`); with `throttlePuts`, it answers that many PUTs itself
 * first, 503 with `Retry-After: 1`, as a collector whose sink is failing does.
 */
async function recordingProxy(target: string, { throttlePuts = 0 } = {}): Promise<{ url: string; seen: string[]; putTimes: number[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const putTimes: number[] = [];
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push(`${req.method} ${(req.url ?? "").replace(/[0-9a-f]{64}$/, "<sha256>")} ${req.headers["content-type"]} ${req.headers["content-encoding"] ?? "identity"}`);
      if (req.method === "PUT" && putTimes.push(performance.now()) <= throttlePuts) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end(JSON.stringify({ code: 14, message: "sink failing" }));
        return;
      }
      const headers: Record<string, string> = { "content-type": String(req.headers["content-type"]) };
      if (req.headers["content-encoding"] !== undefined) headers["content-encoding"] = req.headers["content-encoding"];
      void fetch(new URL(req.url ?? "/", target), { method: req.method, headers, body: Buffer.concat(chunks) }).then(async (answer) => {
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" }).end(Buffer.from(await answer.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen, putTimes, close: () => new Promise((resolve) => proxy.close(() => resolve())) };
}

/** A real collector with its store, behind a {@link recordingProxy}, with `env` set for `fn`; all closed and unset after. */
async function behindRecordingProxy(env: Record<string, string>, fn: (proxy: Awaited<ReturnType<typeof recordingProxy>>, store: ReturnType<typeof openSqliteStore>) => Promise<void>, options: { throttlePuts?: number } = {}): Promise<void> {
  const store = openSqliteStore({ path: ":memory:" });
  const collector = await startCollector({ store, port: 0 });
  const proxy = await recordingProxy(collector.tracesUrl, options);
  Object.assign(process.env, env);
  try {
    await fn(proxy, store);
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
    await proxy.close();
    await collector.close();
    await store.close();
  }
}

describe("payloads through a live collector", () => {
  it("retries a payload while the collector is down, and delivers it once it is up", async () => {
    const port = await freePort();
    const tracing = init({ endpoint: `http://127.0.0.1:${port}/v1/traces`, register: false, exportQueue: { scheduledDelayMs: 1500, payloadRetryDelayMs: 100 } });
    const result = await runWithResult("down-up", {}, () => tool("load", {}, () => big));
    expect(result.status).toBe("ok");
    // The collector comes up after the first attempts have failed.
    await new Promise((r) => setTimeout(r, 400));
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port });
    await tracing.shutdown();
    // The root, the tool and the run-start span.
    expect(tracing.stats()).toMatchObject({ payloadsExported: 1, failedPayloads: 0, droppedPayloads: 0, exported: 3 });
    expect(await store.getPayload(hashJson(serialize(big)))).toBe(serialize(big));
    const detail = await loadRunDetail(store, result.runId);
    expect(detail?.steps.find((s) => s.key === "down-up/tool:load#0")?.output).toEqual(big);
    await collector.close();
    await store.close();
  });

  it("sends payloads with the exporter's headers, so a collector's bearer token covers them too", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0, token: "s3cret" });
    process.env.OTEL_EXPORTER_OTLP_HEADERS = "Authorization=Bearer%20s3cret";
    try {
      const tracing = init({ endpoint: collector.tracesUrl, register: false, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("guarded", {}, () => tool("load", {}, () => big));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ payloadsExported: 1, failedPayloads: 0, exported: 3, failedSpans: 0 });
      expect((await loadRunDetail(store, result.runId))?.steps.find((s) => s.key === "guarded/tool:load#0")?.output).toEqual(big);
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      await collector.close();
      await store.close();
    }
  });

  it("gzips payloads, as the exporter gzips spans, when OTEL_EXPORTER_OTLP_COMPRESSION=gzip; the collector keeps them whole", async () => {
    await behindRecordingProxy({ OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }, async (proxy, store) => {
      const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("gzipped", {}, () => tool("load", {}, () => big));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ payloadsExported: 1, failedPayloads: 0, exported: 3, failedSpans: 0 });
      expect(proxy.seen).toContain("PUT /v1/payloads/<sha256> application/json gzip");
      expect(proxy.seen.filter((line) => line.startsWith("POST /v1/traces ")).length).toBeGreaterThan(0);
      expect(proxy.seen.every((line) => line.endsWith(" gzip"))).toBe(true);
      expect(await store.getPayload(hashJson(serialize(big)))).toBe(serialize(big));
      expect((await loadRunDetail(store, result.runId))?.steps.find((s) => s.key === "gzipped/tool:load#0")?.output).toEqual(big);
    });
  });

  it("exports spans as OTLP JSON by default and as protobuf when OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf; payloads stay JSON", async () => {
    for (const [protocol, contentType] of [[undefined, "application/json"], ["http/protobuf", "application/x-protobuf"]] as const) {
      await behindRecordingProxy(protocol === undefined ? {} : { OTEL_EXPORTER_OTLP_PROTOCOL: protocol }, async (proxy, store) => {
        const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, exportQueue: { scheduledDelayMs: 5 } });
        const result = await runWithResult("encoded", {}, () => tool("load", {}, () => big));
        await tracing.shutdown();
        expect(tracing.stats()).toMatchObject({ payloadsExported: 1, exported: 3, failedSpans: 0 });
        const traces = proxy.seen.filter((line) => line.startsWith("POST /v1/traces "));
        expect(traces.length).toBeGreaterThan(0);
        expect(traces.every((line) => line === `POST /v1/traces ${contentType} identity`)).toBe(true);
        expect(proxy.seen).toContain("PUT /v1/payloads/<sha256> application/json identity");
        expect((await loadRunDetail(store, result.runId))?.steps.find((s) => s.key === "encoded/tool:load#0")?.output).toEqual(big);
      });
    }
  });

  it("waits as long as a 503's Retry-After asks before sending a payload again, not just its own short backoff", async () => {
    await behindRecordingProxy({}, async (proxy, store) => {
      // A 10 ms backoff alone would retry at once; the collector asked for a second.
      const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, exportQueue: { scheduledDelayMs: 5, payloadRetryDelayMs: 10 } });
      const result = await runWithResult("throttled", {}, () => tool("load", {}, () => big));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ payloadsExported: 1, failedPayloads: 0, exported: 3 });
      expect(proxy.putTimes).toHaveLength(2);
      expect((proxy.putTimes[1] as number) - (proxy.putTimes[0] as number)).toBeGreaterThanOrEqual(950);
      expect((await loadRunDetail(store, result.runId))?.steps.find((s) => s.key === "throttled/tool:load#0")?.output).toEqual(big);
    }, { throttlePuts: 1 });
  });

  it("counts a payload over the queue's budget, and the read names it missing instead of cutting the state", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    const tracing = init({ endpoint: collector.tracesUrl, register: false, exportQueue: { maxQueueBytes: 128 * 1024, scheduledDelayMs: 5 } });
    const result = await runWithResult("over-budget", {}, () => tool("load", {}, () => big));
    await tracing.shutdown();
    // The tool's output, and the run's (the same state, offered again since it was not sent).
    expect(tracing.stats()).toMatchObject({ droppedPayloads: 2, payloadsExported: 0, exported: 3, dropped: 0 });
    const detail = await loadRunDetail(store, result.runId);
    const output = detail?.steps.find((s) => s.key === "over-budget/tool:load#0")?.output as { $type: string; ref: string; bytes: number; preview: string };
    expect(output).toMatchObject({ $type: PayloadMarker.MISSING, ref: hashJson(serialize(big)), bytes: serialize(big).length });
    expect(serialize(big).startsWith(output.preview)).toBe(true);
    await collector.close();
    await store.close();
  });
});
