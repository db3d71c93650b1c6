import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { createServer, get } from "node:http";
import type { ClientRequest, IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { performance } from "node:perf_hooks";
import { createServer as createNetServer } from "node:net";
import { context, diag, DiagLogLevel } from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import { startCollector } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { init } from "./init.js";
import type { Tracing } from "./init.js";
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

  it("sends spans and payloads with tracing suppressed, where an http instrumentation would record them", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    // An origin of the agent's own, to show a request the agent makes inside a step is seen as traced.
    const own = await listen(createServer((_req, res) => res.end("{}")));
    // What node:http tells its subscribers (@opentelemetry/instrumentation-http among them) as each request starts.
    const seen: { request: string; suppressed: boolean }[] = [];
    const onRequest = (message: unknown): void => {
      const { request } = message as { request: ClientRequest };
      seen.push({ request: `${request.method} http://${String(request.getHeader("host"))}${request.path}`, suppressed: isTracingSuppressed(context.active()) });
    };
    subscribe("http.client.request.start", onRequest);
    // Registered, with the context manager: what auto-instrumentation sees.
    const tracing = init({ endpoint: collector.tracesUrl, maxInlineBytes: 1024 });
    try {
      const big = { text: "x".repeat(8 * 1024) };
      const result = await runWithResult("chatty", {}, async () => {
        await tool("lookup", { q: 1 }, () => new Promise((resolve) => get(`${own.url}/lookup`, (res) => res.resume().on("end", resolve))));
        return tool("big", big, () => ({ ...big, done: true }));
      });
      expect(result.status).toBe("ok");
      await tracing.flush();
      expect(tracing.stats()).toMatchObject({ failedExports: 0, payloadsExported: 2 });
      const exports = seen.filter((r) => r.request.includes(collector.url.replace("http://", "")));
      expect(exports.some((r) => r.request.startsWith("POST ") && r.request.endsWith("/v1/traces"))).toBe(true);
      expect(exports.filter((r) => r.request.startsWith("PUT ") && r.request.includes("/v1/payloads/"))).toHaveLength(2);
      expect(exports.every((r) => r.suppressed)).toBe(true);
      expect(seen.find((r) => r.request === `GET ${own.url}/lookup`)).toEqual({ request: `GET ${own.url}/lookup`, suppressed: false });
    } finally {
      unsubscribe("http.client.request.start", onRequest);
      await tracing.shutdown();
      await collector.close();
      await store.close();
      own.server.close();
    }
  });

  it("follows no redirect: a collector address that redirects is refused, its spans and payloads counted, not sent elsewhere as a GET", async () => {
    const requests: string[] = [];
    const redirecting = await listen(
      createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        req.resume();
        if (req.url === "/landing") res.end("<html>welcome</html>");
        else res.writeHead(req.method === "PUT" ? 302 : 301, { location: "/landing" }).end();
      }),
    );
    const tracing = init({ endpoint: `${redirecting.url}/v1/traces`, register: false, maxInlineBytes: 1024 });
    try {
      const big = { text: "y".repeat(4 * 1024) };
      await runWithResult("moved", {}, async () => tool("t", big, () => 1));
      await tracing.flush();
      // fetch turned the 301 into a body-less GET of /landing, whose 200 counted the spans as exported.
      expect(tracing.stats()).toMatchObject({ exported: 0, failedSpans: 3, failedPayloads: 1, queuedBytes: 0 });
      expect(requests.filter((r) => r.includes("/landing"))).toEqual([]);
      expect(requests.some((r) => r === "POST /v1/traces")).toBe(true);
    } finally {
      await tracing.shutdown();
      redirecting.server.close();
    }
  });

  it("reads the OTLP environment's TLS files: the CA it trusts, and the client certificate a mutual-TLS collector asks for", async () => {
    const file = (name: string): string => new URL(`./fixtures/tls/${name}`, import.meta.url).pathname;
    // A collector stand-in over mutual TLS (fixtures/tls: a test CA, a server certificate for 127.0.0.1, a client certificate).
    const clients: string[] = [];
    const secure = await listen(
      createHttpsServer({ key: readFileSync(file("server.key")), cert: readFileSync(file("server.pem")), ca: readFileSync(file("ca.pem")), requestCert: true, rejectUnauthorized: true }, (req: IncomingMessage, res: ServerResponse) => {
        clients.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
        req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
      }),
      "https",
    );
    const env = { OTEL_EXPORTER_OTLP_CERTIFICATE: file("ca.pem"), OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: file("client.pem"), OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: file("client.key") };
    const exportOnce = async (variables: Record<string, string>): Promise<ReturnType<Tracing["stats"]>> => {
      Object.assign(process.env, variables);
      try {
        const tracing = init({ endpoint: `${secure.url}/v1/traces`, register: false });
        await runWithResult("secure", {}, async () => tool("t", { i: 1 }, () => 1));
        await tracing.flush();
        const stats = tracing.stats();
        await Promise.race([tracing.shutdown(), new Promise((r) => setTimeout(r, 200))]);
        return stats;
      } finally {
        for (const name of Object.keys(variables)) delete process.env[name];
      }
    };
    try {
      expect(await exportOnce(env)).toMatchObject({ exported: 3, failedExports: 0 });
      expect(clients).toContain("tracewright-test-client");
      // Without them: the server's certificate is not trusted (and no client certificate is offered); retried, never exported.
      const untrusted = await exportOnce({});
      expect(untrusted.exported).toBe(0);
      expect(untrusted.failedExports).toBeGreaterThan(0);
      // A file that cannot be read is left out, with a warning, never a throw at init.
      const unreadable = await exportOnce({ ...env, OTEL_EXPORTER_OTLP_CERTIFICATE: "/nonexistent/ca.pem" });
      expect(unreadable.exported).toBe(0);
    } finally {
      secure.server.close();
    }
  });
});

describe("the exporter's requests, whatever the server does", () => {
  it("fails a 101 answer, which leaves no error and no answer, instead of waiting on it for ever", async () => {
    const upgrading = await listen(
      createNetServer((socket) => socket.once("data", () => socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n"))) as unknown as Server,
    );
    const tracing = init({ endpoint: `${upgrading.url}/v1/traces`, register: false });
    try {
      await runWithResult("upgraded", {}, async () => tool("t", {}, () => 1));
      const flushed = await Promise.race([tracing.flush().then(() => "returned"), new Promise((r) => setTimeout(() => r("pending"), 3_000))]);
      expect(flushed).toBe("returned");
      // Failed, and kept for the retry: not lost, not in flight for ever.
      expect(tracing.stats()).toMatchObject({ exported: 0, failedSpans: 0 });
      expect(tracing.stats().failedExports).toBeGreaterThan(0);
      expect(tracing.stats().queuedBytes).toBeGreaterThan(0);
    } finally {
      await Promise.race([tracing.shutdown(), new Promise((r) => setTimeout(r, 200))]);
      upgrading.server.close();
    }
  });

  it("sends again, on a new connection, a request whose kept-alive connection the server closed as it went out", async () => {
    // The server answers one request a connection and drops the connection at the next: the race
    // of an idle timeout, made certain.
    const served = new WeakSet<object>();
    let connections = 0;
    const oneShot = await listen(
      createServer((req, res) => {
        if (served.has(req.socket)) {
          req.socket.destroy();
          return;
        }
        served.add(req.socket);
        req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
      }).on("connection", () => connections++),
    );
    const tracing = init({ endpoint: `${oneShot.url}/v1/traces`, register: false });
    try {
      for (let i = 0; i < 3; i++) {
        await runWithResult(`r${i}`, {}, async () => tool("t", { i }, () => i));
        await tracing.flush();
      }
      // Every flush exported its spans (3 a run: the root, the tool, the run-start): none returned early on the dropped connection.
      expect(tracing.stats()).toMatchObject({ exported: 9, failedExports: 0, queuedBytes: 0 });
      expect(connections).toBeGreaterThanOrEqual(3);
    } finally {
      await tracing.shutdown();
      oneShot.server.close();
    }
  });

  it("a diagnostic logger that throws neither crashes the agent nor leaves an export in flight", async () => {
    // (Its debug line is written by setLogger itself.)
    diag.setLogger({ error: boom, warn: boom, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.ALL);
    const tracing = init({ endpoint: "http://127.0.0.1:9/v1/traces", register: false });
    try {
      await runWithResult("loud", {}, async () => tool("t", {}, () => 1));
      await tracing.flush();
      expect(tracing.stats().failedExports).toBeGreaterThan(0);
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ failedSpans: 3, queuedBytes: 0 });
    } finally {
      diag.disable();
    }
  });

  it("closes its kept-alive connections at shutdown", async () => {
    const open = new Set<object>();
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    const counting = await listen(
      createServer((req, res) => {
        req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
      }).on("connection", (socket) => {
        open.add(socket);
        socket.on("close", () => open.delete(socket));
      }),
    );
    const tracing = init({ endpoint: `${counting.url}/v1/traces`, register: false });
    await runWithResult("kept", {}, async () => tool("t", {}, () => 1));
    await tracing.flush();
    expect(open.size).toBe(1);
    await tracing.shutdown();
    await new Promise((r) => setTimeout(r, 100));
    expect(open.size).toBe(0);
    counting.server.close();
    await collector.close();
    await store.close();
  });
});

function boom(): void {
  throw new Error("a logger that throws");
}

async function listen(server: Server, scheme = "http"): Promise<{ server: Server; url: string }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `${scheme}://127.0.0.1:${(server.address() as { port: number }).port}` };
}
