import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { OTLPTraceExporter as OTLPJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { openSqliteStore } from "@tracewright/store";
import type { SpanRecord, TraceStore } from "@tracewright/store";
import { GenAI, Resource, Tracewright } from "@tracewright/instrument/conventions";
import { CollectorConfigError } from "./errors.js";
import { decodeOtlpProtobuf } from "./otlp/protobuf.js";
import { jsonRequest, jsonSpan, spanIdOf, toProtobuf } from "./otlp/otlp.fixtures.js";
import { RUN_ID, recordAgentRun, sequentialIds } from "./sdk.fixtures.js";
import { startCollector } from "./server.js";
import type { CollectorHandle, CollectorOptions } from "./server.js";
import { memorySink } from "./sink.js";
import type { Sink } from "./sink.js";

const JSON_TYPE = { "Content-Type": "application/json" };
const PROTO_TYPE = { "Content-Type": "application/x-protobuf" };

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface Running {
  collector: CollectorHandle;
  store: TraceStore;
  logs: string[];
}

/** A collector on 127.0.0.1, an ephemeral port, over a fresh in-memory SQLite store. */
async function start(options: Partial<CollectorOptions> = {}): Promise<Running> {
  const store = openSqliteStore({ path: ":memory:" });
  const logs: string[] = [];
  const collector = await startCollector({ store, port: 0, log: (message) => logs.push(message), ...options });
  cleanups.push(async () => {
    await collector.close();
    await store.close();
  });
  return { collector, store, logs };
}

function post(collector: CollectorHandle, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(collector.tracesUrl, { method: "POST", body, headers });
}

/** Records the reference run through a real provider, exporting with `exporter`; returns what the SDK recorded. */
async function exportRun(exporter: SpanExporter, processor: "simple" | "batch", runId = RUN_ID, seed = 1): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [Resource.SERVICE_NAME]: "research-agent" }),
    idGenerator: sequentialIds(seed),
    spanProcessors: [new SimpleSpanProcessor(memory), processor === "simple" ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  recordAgentRun(provider.getTracer("@tracewright/instrument", "0.1.0"), runId);
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** What the SDK recorded, as the span records the store should hold. */
function expectedRecords(spans: ReadableSpan[]): SpanRecord[] {
  return decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array).spans.sort(bySpanId);
}

const bySpanId = (a: SpanRecord, b: SpanRecord): number => a.spanId.localeCompare(b.spanId);

/** google.rpc.Status from protobuf bytes: { 1: code, 2: message }. */
function protobufStatus(bytes: Buffer): { code: number; message: string } {
  let pos = 0;
  let code = 0;
  let message = "";
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = bytes[pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === 8) code = varint();
    else if (tag === 18) {
      const length = varint();
      message = bytes.toString("utf8", pos, pos + length);
      pos += length;
    } else throw new Error(`unexpected tag ${tag} in a Status`);
  }
  return { code, message };
}

/** A POST through node:http with a streamed (chunked) body: no Content-Length. */
function postChunked(collector: CollectorHandle, chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(collector.tracesUrl, { method: "POST", headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (chunk: Buffer) => parts.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString("utf8"), headers: res.headers }));
    });
    // The server may close the connection while chunks are still being written (413): that is expected.
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("startCollector", () => {
  describe("with the real OTLP exporters", () => {
    it("stores every span of a run whole from the JSON exporter (BatchSpanProcessor)", async () => {
      const { collector, store } = await start();
      const recorded = await exportRun(new OTLPJsonExporter({ url: collector.tracesUrl }), "batch");

      const stored = (await store.getRunSpans(RUN_ID)).sort(bySpanId);
      expect(stored).toHaveLength(5);
      expect(stored).toEqual(expectedRecords(recorded));
      const tool = stored.find((s) => s.name === "execute_tool web_search");
      expect(tool?.status).toEqual({ code: 2, message: "web_search timed out after 30s" });
      expect(tool?.events[0]?.attributes["exception.type"]).toBe("TimeoutError");
      expect(stored.find((s) => s.name === "state save")?.links).toHaveLength(1);
      expect(stored.find((s) => s.name === "chat claude")?.attributes[GenAI.USAGE_INPUT_TOKENS]).toBe(1234);
      expect(await store.getRun(RUN_ID)).toMatchObject({ runId: RUN_ID, agent: "supervisor", status: "error", steps: 5 });
    });

    it("stores every span of a run whole from the protobuf exporter (SimpleSpanProcessor)", async () => {
      const { collector, store } = await start();
      const recorded = await exportRun(new OTLPProtoExporter({ url: collector.tracesUrl }), "simple");

      const stored = (await store.getRunSpans(RUN_ID)).sort(bySpanId);
      expect(stored).toHaveLength(5);
      expect(stored).toEqual(expectedRecords(recorded));
      expect(stored.every((s) => s.attributes[Tracewright.RUN_ID] === RUN_ID && s.resource[Resource.SERVICE_NAME] === "research-agent")).toBe(true);
    });

    it("takes gzip-compressed exports from both exporters", async () => {
      const { collector, store } = await start();
      await exportRun(new OTLPJsonExporter({ url: collector.tracesUrl, compression: CompressionAlgorithm.GZIP }), "batch", "run-gzip-json", 1);
      await exportRun(new OTLPProtoExporter({ url: collector.tracesUrl, compression: CompressionAlgorithm.GZIP }), "batch", "run-gzip-proto", 2);
      expect(await store.getRunSpans("run-gzip-json")).toHaveLength(5);
      expect(await store.getRunSpans("run-gzip-proto")).toHaveLength(5);
    });

    it("makes the exporter retry through a failing sink until the batch is stored, logging each failure with its cause", async () => {
      const memory = memorySink();
      let failures = 1;
      const flaky: Sink = {
        name: "flaky",
        async write(spans) {
          if (failures-- > 0) throw new Error("disk full", { cause: new Error("ENOSPC: no space left on device") });
          await memory.write(spans);
        },
        flush: async () => {},
        close: async () => {},
      };
      const { collector, logs } = await start({ sinks: [flaky], retryAfterSeconds: 1 });
      await exportRun(new OTLPProtoExporter({ url: collector.tracesUrl }), "batch");

      expect(memory.spans).toHaveLength(5);
      expect(logs).toEqual([expect.stringMatching(/^Tracewright collector: sink "flaky" failed to take 5 spans; answered 503 so the exporter retries: Error: disk full; caused by Error: ENOSPC: no space left on device$/)]);
    });
  });

  describe("POST /v1/traces", () => {
    it("stores a span posted twice once (ingest is idempotent)", async () => {
      const { collector, store } = await start();
      const body = JSON.stringify(jsonRequest([jsonSpan({ spanId: spanIdOf(1), parentSpanId: "" }), jsonSpan({ spanId: spanIdOf(2), parentSpanId: spanIdOf(1) })]));
      for (let i = 0; i < 2; i++) {
        const response = await post(collector, body, JSON_TYPE);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({});
      }
      const traceId = jsonSpan().traceId as string;
      expect(await store.getRunSpans(traceId)).toHaveLength(2);
      expect(await store.getRun(traceId)).toMatchObject({ steps: 2 });
    });

    it("accepts a charset parameter and mixed-case media types", async () => {
      const { collector, store } = await start();
      const response = await post(collector, JSON.stringify(jsonRequest([jsonSpan()])), { "Content-Type": "Application/JSON; charset=utf-8" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await store.getRunSpans(jsonSpan().traceId as string)).toHaveLength(1);
    });

    it("answers a mixed JSON batch with partialSuccess and stores the good spans", async () => {
      const { collector, store, logs } = await start();
      const body = JSON.stringify(jsonRequest([jsonSpan({ spanId: spanIdOf(1) }), jsonSpan({ spanId: "zz" }), jsonSpan({ spanId: spanIdOf(3), kind: "SPAN_KIND_NOPE" })]));
      const response = await post(collector, body, JSON_TYPE);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        partialSuccess: {
          rejectedSpans: "2",
          errorMessage: `2 of 3 spans rejected: resourceSpans[0].scopeSpans[0].spans[1].spanId: expected 16 hex digits, got "zz"; resourceSpans[0].scopeSpans[0].spans[2].kind: expected one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER or its number, got "SPAN_KIND_NOPE"`,
        },
      });
      expect((await store.getRunSpans(jsonSpan().traceId as string)).map((s) => s.spanId)).toEqual([spanIdOf(1)]);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain("2 of 3 spans rejected");
    });

    it("answers a mixed protobuf batch with a protobuf partialSuccess the SDK can read", async () => {
      const { collector } = await start();
      const body = toProtobuf(jsonRequest([jsonSpan({ spanId: spanIdOf(1) }), jsonSpan({ spanId: spanIdOf(2), startTimeUnixNano: "0" })]));
      const response = await post(collector, body, PROTO_TYPE);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-protobuf");
      const decoded = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await response.arrayBuffer()));
      expect(decoded.partialSuccess?.rejectedSpans).toBe(1);
      expect(decoded.partialSuccess?.errorMessage).toBe("1 of 2 spans rejected: resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: expected nanoseconds since the Unix epoch, got 0 (unset)");
    });

    it("answers a fully accepted protobuf batch with an empty response", async () => {
      const { collector } = await start();
      const response = await post(collector, toProtobuf(jsonRequest([jsonSpan()])), PROTO_TYPE);
      expect(response.status).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });

    it("takes a hand-gzipped JSON body", async () => {
      const { collector, store } = await start();
      const response = await post(collector, gzipSync(JSON.stringify(jsonRequest([jsonSpan()]))), { ...JSON_TYPE, "Content-Encoding": "gzip" });
      expect(response.status).toBe(200);
      expect(await store.getRunSpans(jsonSpan().traceId as string)).toHaveLength(1);
    });

    it("answers 400 with a reason for a body that is not JSON", async () => {
      const { collector } = await start();
      const response = await post(collector, "{not json", JSON_TYPE);
      expect(response.status).toBe(400);
      const status = (await response.json()) as { code: number; message: string };
      expect(status.code).toBe(3);
      expect(status.message).toMatch(/^The body is not valid JSON: /);
    });

    it("answers 400 with a protobuf Status naming the byte offset for a truncated protobuf body", async () => {
      const { collector } = await start();
      const whole = toProtobuf(jsonRequest([jsonSpan()]));
      const response = await post(collector, whole.subarray(0, whole.length - 10), PROTO_TYPE);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/x-protobuf");
      const status = protobufStatus(Buffer.from(await response.arrayBuffer()));
      expect(status.code).toBe(3);
      expect(status.message).toMatch(/^The protobuf body is malformed at byte 1 in resourceSpans\[0\]: truncated: /);
    });

    it("answers 400 for a body that is not gzip despite Content-Encoding: gzip", async () => {
      const { collector } = await start();
      const response = await post(collector, JSON.stringify(jsonRequest([])), { ...JSON_TYPE, "Content-Encoding": "gzip" });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/^The body is not valid gzip \(Content-Encoding: gzip\): /);
    });

    describe("answers 413 over the size limit", () => {
      const limit = 4096;
      const big = JSON.stringify(jsonRequest([jsonSpan({ name: "x".repeat(limit) })]));

      it("from the declared Content-Length, before reading the body", async () => {
        const { collector, store } = await start({ maxBodyBytes: limit });
        const response = await post(collector, big, JSON_TYPE);
        expect(response.status).toBe(413);
        expect(response.headers.get("connection")).toBe("close");
        expect(await response.json()).toEqual({ code: 3, message: `The request body (${Buffer.byteLength(big)} bytes) is larger than the collector's limit of ${limit} bytes. Send smaller batches or raise maxBodyBytes.` });
        expect(await store.getRunSpans(jsonSpan().traceId as string)).toEqual([]);
      });

      it("while streaming a body of undeclared length, stopping early", async () => {
        const { collector } = await start({ maxBodyBytes: limit });
        const chunks = Array.from({ length: 64 }, () => Buffer.alloc(1024, 0x20));
        const response = await postChunked(collector, chunks, JSON_TYPE);
        expect(response.status).toBe(413);
        expect(response.headers.connection).toBe("close");
        expect(JSON.parse(response.body)).toEqual({ code: 3, message: `The request body is larger than the collector's limit of ${limit} bytes. Send smaller batches (e.g. lower the BatchSpanProcessor's maxExportBatchSize) or raise maxBodyBytes.` });
      });

      it("when a small gzip body decompresses beyond it", async () => {
        const { collector } = await start({ maxBodyBytes: limit });
        const bomb = gzipSync(Buffer.from(big));
        expect(bomb.length).toBeLessThan(limit);
        const response = await post(collector, bomb, { ...JSON_TYPE, "Content-Encoding": "gzip" });
        expect(response.status).toBe(413);
        expect(((await response.json()) as { message: string }).message).toMatch(/^The gzip body decompresses to more than the collector's limit of 4096 bytes\./);
      });
    });

    it("refuses a 50 MB body under the default 16 MiB limit, declared or streamed, and keeps ingesting", async () => {
      const { collector, store } = await start();
      const fifty = 50 * 1024 * 1024;
      const declared = await post(collector, Buffer.alloc(fifty, 0x20), JSON_TYPE);
      expect(declared.status).toBe(413);
      expect(((await declared.json()) as { message: string }).message).toBe(`The request body (${fifty} bytes) is larger than the collector's limit of ${16 * 1024 * 1024} bytes. Send smaller batches or raise maxBodyBytes.`);
      const streamed = await postChunked(collector, Array.from({ length: 50 }, () => Buffer.alloc(1024 * 1024, 0x20)), JSON_TYPE);
      expect(streamed.status).toBe(413);
      expect((JSON.parse(streamed.body) as { message: string }).message).toMatch(/^The request body is larger than the collector's limit of 16777216 bytes\./);
      // The process is still up and takes the next export.
      const ok = await post(collector, JSON.stringify(jsonRequest([jsonSpan()])), JSON_TYPE);
      expect(ok.status).toBe(200);
      expect(await store.getRunSpans(jsonSpan().traceId as string)).toHaveLength(1);
    });

    it("answers 415 for another content type, a missing one, or another encoding", async () => {
      const { collector } = await start();
      const text = await post(collector, "hello", { "Content-Type": "text/plain" });
      expect(text.status).toBe(415);
      expect(await text.json()).toEqual({ code: 3, message: 'Content-Type "text/plain" is not supported: send application/json or application/x-protobuf.' });

      const none = await fetch(collector.tracesUrl, { method: "POST", body: new Uint8Array([1, 2, 3]) });
      expect(none.status).toBe(415);
      expect(((await none.json()) as { message: string }).message).toBe('Content-Type "" is not supported: send application/json or application/x-protobuf.');

      const brotli = await post(collector, "{}", { ...JSON_TYPE, "Content-Encoding": "br" });
      expect(brotli.status).toBe(415);
      expect(((await brotli.json()) as { message: string }).message).toBe('Content-Encoding "br" is not supported: send gzip or an uncompressed body.');
    });

    it("answers 405 for another method, naming the allowed one", async () => {
      const { collector } = await start();
      const response = await fetch(collector.tracesUrl);
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      expect(await response.json()).toEqual({ code: 12, message: "GET is not supported on /v1/traces; use POST." });
    });
  });

  it("answers 404 for other paths, naming the routes it serves", async () => {
    const { collector } = await start();
    const response = await fetch(`${collector.url}/v1/metrics`, { method: "POST", body: "{}", headers: JSON_TYPE });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 5, message: "No route /v1/metrics: the collector serves POST /v1/traces, PUT /v1/payloads/<sha256> and GET /healthz." });
  });

  describe("GET /healthz", () => {
    it("answers 200 while the store takes writes, 503 once it cannot", async () => {
      const { collector, store } = await start();
      const ok = await fetch(`${collector.url}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ status: "ok" });

      await store.close();
      const down = await fetch(`${collector.url}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: "unavailable", unhealthy: ["store"] });
      expect((await fetch(`${collector.url}/healthz`, { method: "HEAD" })).status).toBe(503);
    });

    it("answers 405 to other methods", async () => {
      const { collector } = await start();
      const response = await fetch(`${collector.url}/healthz`, { method: "DELETE" });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    });
  });

  it("answers 503 with Retry-After when the store fails, and logs the cause", async () => {
    const { collector, store, logs } = await start();
    await store.close();
    const response = await post(collector, JSON.stringify(jsonRequest([jsonSpan()])), JSON_TYPE);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toEqual({ code: 14, message: 'The batch was not stored: sink "store" failed (the collector logged the cause). Retry later; delivery is idempotent.' });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^Tracewright collector: sink "store" failed to take 1 spans; answered 503 so the exporter retries: StoreError \[STORE_WRITE_FAILED\]: Writing 1 spans to :memory: failed: .+; caused by /);
  });

  it("answers 503 when any one of several sinks fails, after the others took the batch", async () => {
    const memory = memorySink();
    const broken: Sink = { name: "xray", write: () => Promise.reject(new Error("endpoint unreachable")), flush: async () => {}, close: async () => {} };
    const { collector, store, logs } = await start({ sinks: [memory, broken] });
    const response = await post(collector, toProtobuf(jsonRequest([jsonSpan()])), PROTO_TYPE);
    expect(response.status).toBe(503);
    expect(protobufStatus(Buffer.from(await response.arrayBuffer()))).toEqual({ code: 14, message: 'The batch was not stored: sink "xray" failed (the collector logged the cause). Retry later; delivery is idempotent.' });
    expect(memory.spans).toHaveLength(1);
    expect(await store.getRunSpans(jsonSpan().traceId as string)).toHaveLength(1);
    expect(logs[0]).toContain('sink "xray" failed to take 1 spans; answered 503 so the exporter retries: Error: endpoint unreachable');
  });

  describe("binding beyond loopback", () => {
    it("refuses to start without a token", async () => {
      const store = openSqliteStore({ path: ":memory:" });
      cleanups.push(() => store.close());
      const start = startCollector({ store, host: "0.0.0.0", port: 0 });
      await expect(start).rejects.toBeInstanceOf(CollectorConfigError);
      await expect(start).rejects.toThrow(/^Binding 0\.0\.0\.0 exposes the collector beyond this machine, so it requires a bearer token/);
    });

    it("requires Authorization: Bearer <token> of every export, and takes the exporter's header", async () => {
      const token = "s3cr3t-token";
      const { collector, store } = await start({ host: "0.0.0.0", token });
      const local = `http://127.0.0.1:${collector.port}/v1/traces`;
      const body = JSON.stringify(jsonRequest([jsonSpan()]));

      const missing = await fetch(local, { method: "POST", body, headers: JSON_TYPE });
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="tracewright"');
      expect(((await missing.json()) as { code: number }).code).toBe(16);
      const wrong = await fetch(local, { method: "POST", body, headers: { ...JSON_TYPE, Authorization: "Bearer s3cr3t-tokeN" } });
      expect(wrong.status).toBe(401);
      expect(await store.getRunSpans(jsonSpan().traceId as string)).toEqual([]);

      const right = await fetch(local, { method: "POST", body, headers: { ...JSON_TYPE, Authorization: `Bearer ${token}` } });
      expect(right.status).toBe(200);
      await exportRun(new OTLPJsonExporter({ url: local, headers: { Authorization: `Bearer ${token}` } }), "simple");
      expect(await store.getRunSpans(RUN_ID)).toHaveLength(5);
      expect((await fetch(`http://127.0.0.1:${collector.port}/healthz`)).status).toBe(200);
    });

    it("enforces a token given on loopback too", async () => {
      const { collector } = await start({ token: "t" });
      expect((await post(collector, "{}", JSON_TYPE)).status).toBe(401);
      expect((await post(collector, "{}", { ...JSON_TYPE, Authorization: "bearer t" })).status).toBe(200);
    });
  });

  describe("options and lifecycle", () => {
    it("reports its real address and port when asked for port 0", async () => {
      const { collector } = await start();
      expect(collector.host).toBe("127.0.0.1");
      expect(collector.port).toBeGreaterThan(0);
      expect(collector.url).toBe(`http://127.0.0.1:${collector.port}`);
      expect(collector.tracesUrl).toBe(`${collector.url}/v1/traces`);
    });

    it("fails to start, naming the address, when the port is taken", async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
      const port = (blocker.address() as { port: number }).port;
      const store = openSqliteStore({ path: ":memory:" });
      cleanups.push(() => store.close());
      await expect(startCollector({ store, port })).rejects.toThrow(new CollectorConfigError(`The collector cannot listen on 127.0.0.1:${port}: EADDRINUSE. Choose another --port or --host.`));
    });

    it("rejects options it cannot run with", async () => {
      await expect(startCollector({ port: 0 })).rejects.toThrow("The collector needs somewhere to write: pass `store` or at least one sink in `sinks`.");
      await expect(startCollector({ sinks: [memorySink()], port: 70000 })).rejects.toThrow("port must be an integer from 0 to 65535, got 70000.");
      await expect(startCollector({ sinks: [memorySink()], port: 0, maxBodyBytes: 0 })).rejects.toThrow("maxBodyBytes must be a positive integer, got 0.");
    });

    it("closes idempotently, flushing and closing its sinks, and stops listening", async () => {
      const sink = memorySink();
      const collector = await startCollector({ sinks: [sink], port: 0 });
      expect((await post(collector, JSON.stringify(jsonRequest([jsonSpan()])), JSON_TYPE)).status).toBe(200);
      await Promise.all([collector.close(), collector.close()]);
      expect(await sink.healthy()).toBe(false);
      await expect(fetch(`${collector.url}/healthz`)).rejects.toThrow();
    });

    it("lets a request in flight finish before closing", async () => {
      const sink = memorySink();
      let entered!: () => void;
      let release!: () => void;
      const writing = new Promise<void>((resolve) => (entered = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const slow: Sink = {
        name: "slow",
        async write(spans) {
          entered();
          await released;
          await sink.write(spans);
        },
        flush: async () => {},
        close: async () => {},
      };
      const collector = await startCollector({ sinks: [slow], port: 0 });
      const pending = post(collector, JSON.stringify(jsonRequest([jsonSpan()])), JSON_TYPE);
      await writing;
      const closing = collector.close();
      release();
      expect((await pending).status).toBe(200);
      await closing;
      expect(sink.spans).toHaveLength(1);
    });
  });
});
