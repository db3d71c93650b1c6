import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "@tracewright/store";
import type { SpanRecord } from "@tracewright/store";
import { decodeSpanEvents } from "@tracewright/store";
import { SinkError } from "./errors.js";
import { FAKE_AWS } from "./fakes/aws.fixtures.js";
import { startFakeLogs } from "./fakes/logs.fixtures.js";
import { startFakeXRay } from "./fakes/xray.fixtures.js";
import { createHttpHandler, createSqsHandler, sinksFromEnv } from "./lambda.js";
import type { HttpEvent, HttpResult } from "./lambda.js";
import { TRACE_ID, jsonRequest, jsonSpan, spanIdOf, toProtobuf } from "./otlp/otlp.fixtures.js";
import { startCollector } from "./server.js";
import { memorySink, storeSink } from "./sink.js";
import type { Sink } from "./sink.js";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const quiet = { log: () => {} };
const body = (n = 1, offset = 0) => JSON.stringify(jsonRequest(Array.from({ length: n }, (_, i) => jsonSpan({ spanId: spanIdOf(offset + i + 1), parentSpanId: undefined }))));

/** A Function URL (payload 2.0) event. */
function urlEvent(method: string, path: string, headers: Record<string, string>, payload?: string | Buffer): HttpEvent {
  const base64 = Buffer.isBuffer(payload);
  return {
    version: "2.0",
    rawPath: path,
    requestContext: { http: { method, path } },
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    ...(payload === undefined ? {} : { body: base64 ? payload.toString("base64") : payload, isBase64Encoded: base64 }),
  };
}

/** An API Gateway REST (payload 1.0) event: mixed-case headers, stage-less path. */
function restEvent(method: string, path: string, headers: Record<string, string>, payload: Buffer): HttpEvent {
  return { httpMethod: method, path, headers, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), body: payload.toString("base64"), isBase64Encoded: true };
}

const bytes = (r: HttpResult): Buffer => Buffer.from(r.body, r.isBase64Encoded ? "base64" : "utf8");

const record = (messageId: string, text: string, attributes: Record<string, string> = {}) => ({
  messageId,
  body: text,
  messageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { stringValue: v, dataType: "String" }])),
});

class FailingSink implements Sink {
  name = "failing";
  constructor(private readonly failFor: (spans: readonly SpanRecord[]) => boolean) {}
  async write(spans: readonly SpanRecord[]) {
    if (this.failFor(spans)) throw new SinkError(this.name, "injected");
  }
  async flush() {}
  async close() {}
}

describe("httpHandler", () => {
  it("takes a Function URL event with a JSON body and writes every span", async () => {
    const sink = memorySink();
    const handler = createHttpHandler({ sinks: [sink], ...quiet });
    const result = await handler(urlEvent("POST", "/v1/traces", { "Content-Type": "application/json" }, body(3)));
    expect(result).toEqual({ statusCode: 200, headers: { "Content-Type": "application/json" }, body: "{}", isBase64Encoded: false });
    expect(sink.spans).toHaveLength(3);
  });

  it("takes an API Gateway REST event with a base64, gzipped protobuf body, and answers in protobuf", async () => {
    const sink = memorySink();
    const handler = createHttpHandler({ sinks: [sink], ...quiet });
    const payload = gzipSync(toProtobuf(jsonRequest([jsonSpan({ parentSpanId: undefined })])));
    const result = await handler(restEvent("POST", "/prod/v1/traces", { "Content-Type": "application/x-protobuf", "Content-Encoding": "gzip" }, payload));
    expect(result.statusCode).toBe(200);
    expect(result.headers["Content-Type"]).toBe("application/x-protobuf");
    expect(result.isBase64Encoded).toBe(true);
    expect(bytes(result)).toHaveLength(0);
    expect(sink.spans.map((s) => s.traceId)).toEqual([TRACE_ID]);
  });

  it("answers every request exactly as the local server does", async () => {
    const handler = createHttpHandler({ sinks: [memorySink()], ...quiet });
    const collector = await startCollector({ sinks: [memorySink()], port: 0, ...quiet });
    cleanups.push(() => collector.close());
    const cases: [string, string, Record<string, string>, Buffer | undefined][] = [
      ["POST", "/v1/traces", { "Content-Type": "application/json" }, Buffer.from(body(2))],
      ["POST", "/v1/traces", { "Content-Type": "application/json" }, Buffer.from(JSON.stringify(jsonRequest([jsonSpan({ spanId: "zz" }), jsonSpan()])))],
      ["POST", "/v1/traces", { "Content-Type": "application/json" }, Buffer.from("{not json")],
      ["POST", "/v1/traces", { "Content-Type": "application/x-protobuf" }, Buffer.from([0x0a, 0xff])],
      ["POST", "/v1/traces", { "Content-Type": "application/json", "Content-Encoding": "gzip" }, Buffer.from("not gzip")],
      ["POST", "/v1/traces", { "Content-Type": "application/json", "Content-Encoding": "br" }, Buffer.from(body())],
      ["POST", "/v1/traces", { "Content-Type": "text/plain" }, Buffer.from("x")],
      ["GET", "/v1/traces", {}, undefined],
      ["GET", "/nowhere", {}, undefined],
      ["GET", "/healthz", {}, undefined],
    ];
    for (const [method, path, headers, payload] of cases) {
      const local = await fetch(`${collector.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
      const lambda = await handler(urlEvent(method, path, headers, payload));
      expect([method, path, lambda.statusCode], JSON.stringify(headers)).toEqual([method, path, local.status]);
      expect(bytes(lambda).equals(Buffer.from(await local.arrayBuffer())), `${method} ${path}`).toBe(true);
      expect(lambda.headers["Content-Type"]).toBe(local.headers.get("content-type"));
      if (local.headers.get("allow") !== null) expect(lambda.headers.Allow).toBe(local.headers.get("allow"));
    }
  });

  it("answers 413 to a 50 MB body under the default limit, and takes the next event", async () => {
    const sink = memorySink();
    const handler = createHttpHandler({ sinks: [sink], ...quiet });
    const fifty = 50 * 1024 * 1024;
    const huge = await handler(urlEvent("POST", "/v1/traces", { "Content-Type": "application/json" }, Buffer.alloc(fifty, 0x20)));
    expect(huge.statusCode).toBe(413);
    expect(JSON.parse(huge.body)).toEqual({ code: 3, message: `The request body (${fifty} bytes) is larger than the collector's limit of ${16 * 1024 * 1024} bytes. Send smaller batches or raise maxBodyBytes.` });
    const ok = await handler(urlEvent("POST", "/v1/traces", { "Content-Type": "application/json" }, body(1)));
    expect(ok.statusCode).toBe(200);
    expect(sink.spans).toHaveLength(1);
  });

  it("answers 503 with Retry-After when a sink fails, so the sender retries", async () => {
    const handler = createHttpHandler({ sinks: [memorySink(), new FailingSink(() => true)], ...quiet });
    const result = await handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, body()));
    expect(result.statusCode).toBe(503);
    expect(result.headers["Retry-After"]).toBe("5");
  });

  it("requires the bearer token when one is configured", async () => {
    const handler = createHttpHandler({ sinks: [memorySink()], token: "s3cret", ...quiet });
    expect((await handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, body()))).statusCode).toBe(401);
    expect((await handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json", authorization: "Bearer s3cret" }, body()))).statusCode).toBe(200);
  });

  it("flushes every sink before returning, and answers 503 when a flush fails", async () => {
    const delivered: number[] = [];
    let buffered = 0;
    let failFlush = false;
    const buffering: Sink = {
      name: "buffering",
      write: async (spans) => void (buffered += spans.length),
      flush: async () => {
        if (failFlush) throw new Error("flush failed");
        delivered.push(buffered);
        buffered = 0;
      },
      close: async () => {},
    };
    const handler = createHttpHandler({ sinks: [buffering], ...quiet });
    expect((await handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, body(4)))).statusCode).toBe(200);
    expect(delivered).toEqual([4]);
    failFlush = true;
    expect((await handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, body(1)))).statusCode).toBe(503);
  });

  it("keeps no request state between invocations: concurrent calls each get their own answer", async () => {
    const sink = memorySink();
    const handler = createHttpHandler({ sinks: [sink], ...quiet });
    const results = await Promise.all([
      handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, body(2, 0))),
      handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, "{bad")),
      handler(urlEvent("POST", "/v1/traces", { "content-type": "application/json" }, body(3, 10))),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 400, 200]);
    expect(sink.spans).toHaveLength(5);
  });
});

describe("sqsHandler", () => {
  it("reports failures per record: an undecodable message and one a sink failed, never the whole batch", async () => {
    const sink = memorySink();
    const failing = new FailingSink((spans) => spans.some((s) => s.spanId === spanIdOf(21)));
    const handler = createSqsHandler({ sinks: [sink, failing], ...quiet });
    const protobuf = toProtobuf(jsonRequest([jsonSpan({ spanId: spanIdOf(31), parentSpanId: undefined })]));
    const result = await handler({
      Records: [
        record("m1", body(2, 0)),
        record("m2", "not json at all"),
        record("m3", body(1, 20)),
        record("m4", gzipSync(protobuf).toString("base64"), { contentType: "application/x-protobuf", contentEncoding: "gzip" }),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m3" }] });
    expect(sink.spans.map((s) => s.spanId).sort()).toEqual([spanIdOf(1), spanIdOf(2), spanIdOf(21), spanIdOf(31)].sort());
  });

  it("holds one message at a time: each is decoded, then written, before the next is read", async () => {
    const trail: string[] = [];
    const sink: Sink = {
      name: "trail",
      async write(spans) {
        trail.push(`write ${spans.map((s) => s.spanId.slice(-2)).join(",")}`);
      },
      async flush() {
        trail.push("flush");
      },
      async close() {},
    };
    const handler = createSqsHandler({ sinks: [sink], ...quiet });
    // Each record's body is read through a getter, so the trail shows when the handler takes it up.
    const records = [body(2, 0), body(1, 10), body(3, 20)].map((text, i) => {
      const r = record(`m${i + 1}`, text);
      Object.defineProperty(r, "body", { get: () => (trail.push(`read m${i + 1}`), text) });
      return r;
    });
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(trail).toEqual(["read m1", "write 01,02", "read m2", "write 0b", "read m3", "write 15,16,17", "flush"]);
  });

  it("is idempotent under redelivery: the same batch twice stores each span once", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    cleanups.push(() => store.close());
    const handler = createSqsHandler({ sinks: [storeSink(store)], ...quiet });
    const event = { Records: [record("m1", body(3))] };
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await store.getRunSpans(TRACE_ID)).toHaveLength(3);
  });
});

describe("sinks from the environment", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("refuses unknown sinks and the store in Lambda", () => {
    expect(() => sinksFromEnv({ TRACEWRIGHT_SINKS: "xray,nope" })).toThrow(/Unknown sink "nope"/);
    expect(() => sinksFromEnv({ TRACEWRIGHT_SINKS: "store" })).toThrow(/no place in Lambda/);
    expect(() => sinksFromEnv({ TRACEWRIGHT_SINKS: "cloudwatch", TRACEWRIGHT_LOG_GROUP: "aws/spans" })).toThrow(/aws\/spans/);
  });

  it("writes to X-Ray and CloudWatch Logs at the endpoints AWS_ENDPOINT_URL_* name, with TRACEWRIGHT_LOG_GROUP", async () => {
    const xray = await startFakeXRay();
    const logs = await startFakeLogs();
    cleanups.push(() => xray.close(), () => logs.close());
    const env = {
      ...saved,
      TRACEWRIGHT_SINKS: "xray,cloudwatch",
      TRACEWRIGHT_LOG_GROUP: "/tw/lambda",
      AWS_ENDPOINT_URL_XRAY: xray.url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url,
      AWS_REGION: FAKE_AWS.region,
      AWS_ACCESS_KEY_ID: FAKE_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_AWS.credentials.secretAccessKey,
    };
    process.env = env;
    const sinks = sinksFromEnv(env);
    cleanups.push(async () => {
      for (const s of sinks) await s.close();
    });
    expect(sinks.map((s) => s.name)).toEqual(["xray", "cloudwatch"]);
    const handler = createSqsHandler({ sinks, ...quiet });
    expect(await handler({ Records: [record("m1", body(3))] })).toEqual({ batchItemFailures: [] });
    expect(xray.documents()).toHaveLength(3);
    expect(logs.groups()).toEqual(["/tw/lambda"]);
    expect(decodeSpanEvents(logs.events("/tw/lambda").map((e) => e.message)).spans).toHaveLength(3);
  });
});
