import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { context } from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import { startCollector } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { init } from "./init.js";
import { runWithResult, tool } from "./steps.js";

// The exporter init() puts behind its queue: one attempt per batch (the queue retries), and every
// request it makes out of any trace, so that no other instrumentation records telemetry's own traffic.

describe("the default exporter", () => {
  it("gives up on a collector that refuses the connection at once: flush and shutdown return, the spans counted", async () => {
    const tracing = init({ endpoint: "http://127.0.0.1:9/v1/traces", register: false });
    await runWithResult("offline", {}, async () => {
      for (let i = 0; i < 3; i++) await tool("t", { i }, () => i);
    });
    const started = performance.now();
    await tracing.flush();
    const flushMs = performance.now() - started;
    await tracing.shutdown();
    const totalMs = performance.now() - started;
    // The OpenTelemetry exporter retried inside each export for up to its 10 s timeout: at least
    // 6.5 s a flush (four backoffs from 1 s, ×1.5, −20 %), as long again at shutdown.
    expect(flushMs).toBeLessThan(2_000);
    expect(totalMs).toBeLessThan(3_000);
    // The root, three tools and the run-start span: none exported, all counted, none silently.
    expect(tracing.stats()).toMatchObject({ exported: 0, failedSpans: 5, queuedBytes: 0 });
    expect(tracing.stats().failedExports).toBeGreaterThan(0);
  });

  it("sends spans and payloads with tracing suppressed, where an http or undici instrumentation would record them", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    // An origin of the agent's own, to show a request the agent makes inside a step is seen as traced.
    const own = createServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => own.listen(0, "127.0.0.1", resolve));
    const ownUrl = `http://127.0.0.1:${(own.address() as { port: number }).port}/lookup`;
    // What undici tells its subscribers (@opentelemetry/instrumentation-undici among them) as each request starts.
    const seen: { method: string; url: string; suppressed: boolean }[] = [];
    const onRequest = (message: unknown): void => {
      const { request } = message as { request: { method: string; origin: string; path: string } };
      seen.push({ method: request.method, url: `${request.origin}${request.path}`, suppressed: isTracingSuppressed(context.active()) });
    };
    subscribe("undici:request:create", onRequest);
    // Registered, with the context manager: what auto-instrumentation sees.
    const tracing = init({ endpoint: collector.tracesUrl, maxInlineBytes: 1024 });
    try {
      const big = { text: "x".repeat(8 * 1024) };
      const result = await runWithResult("chatty", {}, async () => {
        await tool("lookup", { q: 1 }, async () => (await fetch(ownUrl)).json());
        return tool("big", big, () => ({ ...big, done: true }));
      });
      expect(result.status).toBe("ok");
      await tracing.flush();
      expect(tracing.stats()).toMatchObject({ failedExports: 0, payloadsExported: 2 });
      const exports = seen.filter((r) => r.url.startsWith(collector.url));
      expect(exports.some((r) => r.method === "POST" && r.url.endsWith("/v1/traces"))).toBe(true);
      expect(exports.filter((r) => r.method === "PUT" && r.url.includes("/v1/payloads/"))).toHaveLength(2);
      expect(exports.every((r) => r.suppressed)).toBe(true);
      expect(seen.find((r) => r.url === ownUrl)).toEqual({ method: "GET", url: ownUrl, suppressed: false });
    } finally {
      unsubscribe("undici:request:create", onRequest);
      await tracing.shutdown();
      await collector.close();
      await store.close();
      own.close();
    }
  });
});
