import { createHash, createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startCollector } from "@tracewright/collector-lambda";
import { loadRunDetail, openSqliteStore } from "@tracewright/store";
import { SignatureV4 } from "@smithy/signature-v4";
import { diag, DiagLogLevel } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { otlpCompressionFromEnv, otlpProtocolFromEnv, otlpTimeoutFromEnv } from "./export-queue.js";
import { init, resolveProtocol, resolveSigV4 } from "./init.js";
import { retryAfterMs } from "./retry.js";
import { functionUrlRegion, sigV4Signer } from "./sigv4.js";
import { runWithResult, tool } from "./steps.js";

// Exports signed with SigV4, checked the way a Function URL with AWS_IAM auth checks them: a
// proxy on loopback recomputes each request's signature from its method, path, signed headers
// and body with the secret it knows (the AWS SDK's signer, on the server side) and forwards only
// requests whose signature matches, to a real collector.

const KEY = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-example" };
const big = { rows: Array.from({ length: 12_000 }, (_, i) => ({ i, text: "lorem ipsum dolor" })) };

/** The server side's hash, written apart from the client's (sigv4.ts). */
class ServerSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.h.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

interface Verdict {
  method: string;
  path: string;
  ok: boolean;
  scope: string;
  signedHeaders: string;
  /** The request's Content-Encoding, if any. */
  encoding?: string;
  contentType?: string;
}

/** A verifying proxy in front of `target`; `verdicts` lists every request and whether its signature held. */
async function signatureCheckingProxy(target: string, secretAccessKey: string): Promise<{ url: string; verdicts: Verdict[]; close(): Promise<void> }> {
  const verdicts: Verdict[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const auth = String(req.headers.authorization ?? "");
        const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
        let ok = false;
        if (m !== null) {
          const [, accessKeyId, , region, service, signedHeaders] = m as unknown as string[];
          const url = new URL(req.url ?? "/", "http://placeholder");
          const headers: Record<string, string> = {};
          for (const name of (signedHeaders as string).split(";")) headers[name] = String(req.headers[name] ?? "");
          const amzDate = String(req.headers["x-amz-date"]);
          const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
          // Every value of a repeated parameter, as AWS canonicalizes the query.
          const query: Record<string, string[]> = {};
          url.searchParams.forEach((v, k) => (query[k] ??= []).push(v));
          const signer = new SignatureV4({ service: service as string, region: region as string, credentials: { accessKeyId: accessKeyId as string, secretAccessKey, sessionToken: String(req.headers["x-amz-security-token"] ?? "") || undefined }, sha256: ServerSha256, uriEscapePath: true });
          const expected = await signer.sign({ method: req.method ?? "", protocol: "http:", hostname: headers.host?.split(":")[0] ?? "", path: url.pathname, query, headers, body: new Uint8Array(body) }, { signingDate });
          // As AWS does: a content hash given in x-amz-content-sha256 must be the body's.
          const contentHash = req.headers["x-amz-content-sha256"];
          const bodyMatches = contentHash === undefined || contentHash === createHash("sha256").update(body).digest("hex");
          ok = bodyMatches && expected.headers.authorization === auth;
          verdicts.push({ method: req.method ?? "", path: url.pathname, ok, scope: `${region}/${service}`, signedHeaders: signedHeaders as string, contentType: String(req.headers["content-type"]), ...(req.headers["content-encoding"] === undefined ? {} : { encoding: req.headers["content-encoding"] }) });
        } else {
          verdicts.push({ method: req.method ?? "", path: req.url ?? "", ok: false, scope: "", signedHeaders: "" });
        }
        if (!ok) {
          res.writeHead(403, { "content-type": "application/json" }).end('{"Message":"Forbidden"}');
          return;
        }
        const forwarded: Record<string, string> = { "content-type": String(req.headers["content-type"]) };
        if (req.headers["content-encoding"] !== undefined) forwarded["content-encoding"] = req.headers["content-encoding"];
        const answer = await fetch(new URL(req.url ?? "/", target), { method: req.method, headers: forwarded, body });
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" }).end(Buffer.from(await answer.arrayBuffer()));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, verdicts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type Store = ReturnType<typeof openSqliteStore>;

/** A real collector on loopback with its store, behind the verifying proxy; all closed after `fn`. */
async function behindVerifier(fn: (proxy: Awaited<ReturnType<typeof signatureCheckingProxy>>, store: Store) => Promise<void>): Promise<void> {
  const store = openSqliteStore({ path: ":memory:" });
  const collector = await startCollector({ store, port: 0 });
  const proxy = await signatureCheckingProxy(collector.tracesUrl, KEY.secretAccessKey);
  try {
    await fn(proxy, store);
  } finally {
    await proxy.close();
    await collector.close();
    await store.close();
  }
}

const saved = { ...process.env };
afterEach(() => {
  for (const key of ["OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_PROTOCOL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "TRACEWRIGHT_SIGV4", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe("exports signed with SigV4 (a Function URL with AWS_IAM auth)", () => {
  it("signs spans and payloads so a verifier accepts every request, and the run arrives whole", async () => {
    await behindVerifier(async (proxy, store) => {
      const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, sigv4: { region: "eu-west-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("signed", { q: "x" }, () => tool("load", {}, () => big));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 3, failedSpans: 0, payloadsExported: 1, failedPayloads: 0 });
      expect(proxy.verdicts.length).toBeGreaterThanOrEqual(2);
      expect(proxy.verdicts.every((v) => v.ok)).toBe(true);
      expect(proxy.verdicts.map((v) => `${v.method} ${v.path.replace(/[0-9a-f]{64}$/, "<sha256>")}`)).toEqual(expect.arrayContaining(["POST /v1/traces", "PUT /v1/payloads/<sha256>"]));
      expect(new Set(proxy.verdicts.map((v) => v.scope))).toEqual(new Set(["eu-west-1/lambda"]));
      // The body and the session token are covered by the signature.
      expect(proxy.verdicts[0]?.signedHeaders.split(";")).toEqual(expect.arrayContaining(["content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]));
      const detail = await loadRunDetail(store, result.runId);
      expect(detail?.steps.find((s) => s.key === "signed/tool:load#0")?.output).toEqual(big);
      // A body changed after signing is refused: the signature covers it.
      const url = new URL(`${proxy.url}/v1/traces`);
      const headers = await sigV4Signer(url.href, { region: "eu-west-1", credentials: KEY })("POST", url, { "content-type": "application/json" }, '{"resourceSpans":[]}');
      expect((await fetch(url, { method: "POST", headers, body: '{"resourceSpans":[]}' })).status).toBe(200);
      expect((await fetch(url, { method: "POST", headers, body: '{"resourceSpans":[{}]}' })).status).toBe(403);
    });
  });

  it("gzips spans and payloads when OTEL_EXPORTER_OTLP_COMPRESSION=gzip, signing the bodies as sent", async () => {
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = "gzip";
    await behindVerifier(async (proxy, store) => {
      const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, sigv4: { region: "eu-west-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("gzipped", { q: "x" }, () => tool("load", {}, () => big));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 3, failedSpans: 0, payloadsExported: 1, failedPayloads: 0 });
      expect(proxy.verdicts.map((v) => `${v.method} ${v.path.replace(/[0-9a-f]{64}$/, "<sha256>")}`)).toEqual(expect.arrayContaining(["POST /v1/traces", "PUT /v1/payloads/<sha256>"]));
      expect(proxy.verdicts.every((v) => v.ok && v.encoding === "gzip")).toBe(true);
      const detail = await loadRunDetail(store, result.runId);
      expect(detail?.steps.find((s) => s.key === "gzipped/tool:load#0")?.output).toEqual(big);
    });
  });

  it("speaks OTLP JSON by default and protobuf when OTEL_EXPORTER_OTLP_PROTOCOL asks, signed and stored either way", async () => {
    for (const [protocol, contentType] of [[undefined, "application/json"], ["http/protobuf", "application/x-protobuf"]] as const) {
      if (protocol === undefined) delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
      else process.env.OTEL_EXPORTER_OTLP_PROTOCOL = protocol;
      await behindVerifier(async (proxy, store) => {
        const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, sigv4: { region: "eu-west-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 5 } });
        const result = await runWithResult("encoded", { q: "x" }, () => tool("t", { a: 1 }, () => ({ ok: true })));
        await tracing.shutdown();
        expect(tracing.stats()).toMatchObject({ exported: 3, failedSpans: 0 });
        expect(proxy.verdicts.filter((v) => v.path === "/v1/traces").map((v) => `${v.ok} ${v.contentType}`)).toEqual(expect.arrayContaining([`true ${contentType}`]));
        expect(proxy.verdicts.every((v) => v.ok && (v.path !== "/v1/traces" || v.contentType === contentType))).toBe(true);
        expect((await loadRunDetail(store, result.runId))?.steps.find((s) => s.key === "encoded/tool:t#0")?.output).toEqual({ ok: true });
      });
    }
  });

  it("takes credentials from the AWS SDK's default chain (here the environment) and the region from AWS_REGION", async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_SESSION_TOKEN: KEY.sessionToken, AWS_REGION: "ap-south-1", TRACEWRIGHT_SIGV4: "true" });
    // No shared config file of this machine's user may answer first.
    process.env.AWS_CONFIG_FILE = "/nonexistent/config";
    process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials";
    await behindVerifier(async (proxy, store) => {
      const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("from-env", {}, () => tool("t", { a: 1 }, () => ({ ok: true })));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 3, failedSpans: 0 });
      expect(proxy.verdicts.length).toBeGreaterThan(0);
      expect(proxy.verdicts.every((v) => v.ok && v.scope === "ap-south-1/lambda")).toBe(true);
      expect((await store.getRun(result.runId))?.steps).toBe(2);
    });
  });

  it("a wrong secret is refused (403): the spans are counted as failed, not retried forever, and the agent runs on", async () => {
    await behindVerifier(async (proxy, store) => {
      const tracing = init({ endpoint: `${proxy.url}/v1/traces`, register: false, sigv4: { region: "us-east-1", credentials: { ...KEY, secretAccessKey: "not-the-secret" } }, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("refused", {}, () => tool("t", {}, () => 42));
      expect(result).toMatchObject({ status: "ok", output: 42 });
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 0, failedSpans: 3 });
      expect(proxy.verdicts.length).toBeGreaterThan(0);
      expect(proxy.verdicts.some((v) => v.ok)).toBe(false);
      expect(await store.getRun(result.runId)).toBeUndefined();
    });
  });
});

describe("signed requests, as they are sent", () => {
  it("sign the endpoint's query string, a repeated parameter with every value", async () => {
    await behindVerifier(async (proxy) => {
      for (const query of ["?tenant=a", "?tenant=a&tenant=b&z=1", "?b=2&a=1&a=0"]) {
        const url = new URL(`${proxy.url}/v1/traces${query}`);
        const headers = await sigV4Signer(url.href, { region: "eu-west-1", credentials: KEY })("POST", url, { "content-type": "application/json" }, '{"resourceSpans":[]}');
        expect((await fetch(url, { method: "POST", headers, body: '{"resourceSpans":[]}' })).status).toBe(200);
      }
      expect(proxy.verdicts.map((v) => v.ok)).toEqual([true, true, true]);
    });
  });

  it("give up on a collector that never answers after OTEL_EXPORTER_OTLP_TIMEOUT, as the OTLP exporter does: counted, and the agent runs on", async () => {
    const held: ServerResponse[] = [];
    const silent = createServer((_req, res) => held.push(res));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = "250";
    try {
      const tracing = init({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1/traces`, register: false, sigv4: { region: "us-east-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 5 } });
      const result = await runWithResult("unanswered", {}, () => tool("t", {}, () => 1));
      expect(result).toMatchObject({ status: "ok", output: 1 });
      // Given up after the 250 ms configured; the default 10 s would outlast this test's 5 s limit.
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 0, failedSpans: 3 });
      expect(held.length).toBeGreaterThan(0);
    } finally {
      for (const res of held) res.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 5_000);

  it("come back no sooner than a 503's Retry-After asks, the queue's 1 s backoff notwithstanding", async () => {
    const arrivals: number[] = [];
    const busy = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        arrivals.push(performance.now());
        if (arrivals.length === 1) res.writeHead(503, { "retry-after": "2", "content-type": "application/json" }).end("{}");
        else res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const tracing = init({ endpoint: `http://127.0.0.1:${(busy.address() as AddressInfo).port}/v1/traces`, register: false, sigv4: { region: "us-east-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 5 } });
      await runWithResult("asked-to-wait", {}, () => tool("t", {}, () => 1));
      for (let waited = 0; tracing.stats().exported < 3 && waited < 6000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 3, failedSpans: 0, failedExports: 1 });
      expect(arrivals.length).toBe(2);
      // The backoff alone would have come back within 1.2 s (1 s ± 20 %).
      expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(1950);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 10_000);

  it("wait as long as a later failure of the same round asks, not only the first", async () => {
    // Two exports in flight: the first fails at once with no Retry-After, the second a little later with a 503 asking for 2 s.
    const arrivals: number[] = [];
    let answered = 0;
    let secondFailedAt = 0;
    const busy = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        arrivals.push(performance.now());
        const n = ++answered;
        if (n === 1) res.writeHead(500, { "content-type": "application/json" }).end("{}");
        else if (n === 2)
          setTimeout(() => {
            secondFailedAt = performance.now();
            res.writeHead(503, { "retry-after": "2", "content-type": "application/json" }).end("{}");
          }, 200);
        else res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const tracing = init({ endpoint: `http://127.0.0.1:${(busy.address() as AddressInfo).port}/v1/traces`, register: false, sigv4: { region: "us-east-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 50, maxBatchSpans: 1 } });
      await runWithResult("asked-later", {}, () => tool("t", {}, () => 1));
      for (let waited = 0; tracing.stats().exported < 3 && waited < 8000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      await tracing.shutdown();
      expect(tracing.stats()).toMatchObject({ exported: 3, failedSpans: 0, failedExports: 2 });
      // Nothing was sent again before the 2 s the second failure asked for.
      expect(arrivals.slice(2).every((at) => at - secondFailedAt >= 1950)).toBe(true);
      expect(arrivals.length).toBeGreaterThan(2);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 12_000);

  it("report a collector's partialSuccess, and a refusal's google.rpc.Status message, from protobuf answers", async () => {
    const warnings: string[] = [];
    const log = (message: string) => warnings.push(message);
    diag.setLogger({ error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    // ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message } }, then google.rpc.Status { code: 3, message }.
    const field = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
    const partial = field(1, Buffer.concat([Buffer.from([0x08, 2]), field(2, Buffer.from("two spans had no name"))]));
    const status = Buffer.concat([Buffer.from([0x08, 3]), field(2, Buffer.from("resourceSpans[0]: expected an object"))]);
    // A Status with a negative code (ten varint bytes) and no message.
    const bare = Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    let n = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        n++;
        if (n === 1) res.writeHead(200, { "content-type": "application/x-protobuf" }).end(partial);
        else res.writeHead(400, { "content-type": "application/x-protobuf" }).end(n === 2 ? status : bare);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = "http/protobuf";
    try {
      for (const expected of [/rejected 2 spans: two spans had no name/, /answered 400 .*: resourceSpans\[0\]: expected an object/, /answered 400 .*: a google\.rpc\.Status without a message \(11 bytes\)/]) {
        const tracing = init({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, register: false, sigv4: { region: "us-east-1", credentials: KEY }, exportQueue: { scheduledDelayMs: 5, maxBatchSpans: 1000 } });
        await runWithResult("answered", {}, () => tool("t", {}, () => 1));
        await tracing.shutdown();
        expect(warnings.some((w) => expected.test(w))).toBe(true);
      }
    } finally {
      diag.disable();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("read their protocol as the specification has SDKs read it: the traces setting over the general one, else JSON", () => {
    expect(otlpProtocolFromEnv({})).toBe("http/json");
    expect(otlpProtocolFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })).toBe("http/protobuf");
    expect(otlpProtocolFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" })).toBe("http/json");
    expect(otlpProtocolFromEnv({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })).toBe("http/protobuf");
    expect(resolveProtocol(undefined, { OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })).toBe("http/protobuf");
    expect(resolveProtocol("http/protobuf", {})).toBe("http/protobuf");
    expect(() => resolveProtocol("grpc" as "http/json", {})).toThrow(/protocol must be "http\/protobuf" or "http\/json"; got "grpc"/);
    // Even with a custom exporter, which makes it moot.
    expect(() => init({ protocol: "grpc" as "http/json", spanProcessors: [], register: false })).toThrow(/protocol must be/);
  });

  it("read a Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("Tue, 01 Dec 2026 12:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Tue, 01 Dec 2026 11:59:00 GMT", now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });

  it("read their timeout as the OTLP exporter does: the traces setting over the general one, milliseconds above 0, else 10 s", () => {
    expect(otlpTimeoutFromEnv({})).toBe(10_000);
    expect(otlpTimeoutFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: "2500" })).toBe(2500);
    expect(otlpTimeoutFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: "2500", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: " 700 " })).toBe(700);
    expect(otlpTimeoutFromEnv({ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "soon", OTEL_EXPORTER_OTLP_TIMEOUT: "900" })).toBe(900);
    expect(otlpTimeoutFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: "0" })).toBe(10_000);
    expect(otlpTimeoutFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: "-5" })).toBe(10_000);
    // Past a timer's longest wait, which would fire at once: the longest wait.
    expect(otlpTimeoutFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: "1e10" })).toBe(2 ** 31 - 1);
  });

  it("read their compression as the OTLP exporter does: the traces setting over the general one, gzip or none, else none", () => {
    expect(otlpCompressionFromEnv({})).toBe("none");
    expect(otlpCompressionFromEnv({ OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" })).toBe("gzip");
    expect(otlpCompressionFromEnv({ OTEL_EXPORTER_OTLP_COMPRESSION: "gzip", OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: " none " })).toBe("none");
    expect(otlpCompressionFromEnv({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "brotli", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" })).toBe("gzip");
    expect(otlpCompressionFromEnv({ OTEL_EXPORTER_OTLP_COMPRESSION: "GZIP" })).toBe("none");
  });
});

describe("when exports are signed", () => {
  it("by default for a Function URL, in its region; TRACEWRIGHT_SIGV4 and the option decide otherwise", () => {
    const fnUrl = "https://abcdefghij1234567890klmnopqrstu.lambda-url.eu-central-1.on.aws/v1/traces";
    expect(functionUrlRegion(fnUrl)).toBe("eu-central-1");
    expect(functionUrlRegion("http://127.0.0.1:4318/v1/traces")).toBeUndefined();
    expect(functionUrlRegion("https://evil.example/x.lambda-url.eu-central-1.on.aws")).toBeUndefined();
    expect(resolveSigV4(undefined, fnUrl, {})).toEqual({});
    expect(resolveSigV4(undefined, "http://127.0.0.1:4318/v1/traces", {})).toBeUndefined();
    expect(resolveSigV4(undefined, fnUrl, { TRACEWRIGHT_SIGV4: "false" })).toBeUndefined();
    expect(resolveSigV4(undefined, "http://127.0.0.1:4318/v1/traces", { TRACEWRIGHT_SIGV4: "true" })).toEqual({});
    expect(resolveSigV4(false, fnUrl, { TRACEWRIGHT_SIGV4: "true" })).toBeUndefined();
    expect(resolveSigV4({ region: "us-west-2" }, "http://127.0.0.1:4318/v1/traces", {})).toEqual({ region: "us-west-2" });
    // A bearer token configured for the Function URL (NONE auth) is kept: no signature replaces it unasked.
    expect(resolveSigV4(undefined, fnUrl, { OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20t0ken" })).toBeUndefined();
    expect(resolveSigV4(undefined, fnUrl, { OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20t0ken", TRACEWRIGHT_SIGV4: "true" })).toEqual({});
  });

  it("names what is missing when no region can be found: init() throws for the option, and only warns for the environment", async () => {
    expect(() => sigV4Signer("http://127.0.0.1:4318/v1/traces", { credentials: KEY }, {})).toThrow(/needs a region.*AWS_REGION/);
    expect(() => sigV4Signer("http://127.0.0.1:4318/v1/traces", { credentials: KEY }, { AWS_DEFAULT_REGION: "us-east-2" })).not.toThrow();
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    expect(() => init({ endpoint: "http://127.0.0.1:9/v1/traces", register: false, sigv4: true })).toThrow(/needs a region/);
    process.env.TRACEWRIGHT_SIGV4 = "true";
    const tracing = init({ endpoint: "http://127.0.0.1:9/v1/traces", register: false });
    await tracing.shutdown();
  });
});
