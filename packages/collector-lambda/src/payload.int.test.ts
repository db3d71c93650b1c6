import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { OpenInference, PayloadMarker, Tracewright } from "@tracewright/instrument/conventions";
import { openSqliteStore } from "@tracewright/store";
import type { SqliteStore } from "@tracewright/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpHandler } from "./lambda.js";
import { jsonRequest, jsonSpan } from "./otlp/otlp.fixtures.js";
import { startCollector } from "./server.js";
import type { CollectorHandle } from "./server.js";
import { memorySink } from "./sink.js";
import type { Sink } from "./sink.js";

const state = JSON.stringify({ docs: Array.from({ length: 2000 }, (_, i) => ({ i, text: "ü lorem ipsum" })) });
const hash = createHash("sha256").update(state).digest("hex");
const marker = JSON.stringify({ $type: PayloadMarker.OFFLOADED, bytes: Buffer.byteLength(state), preview: state.slice(0, 64), ref: hash });

const put = (url: string, body: string | Buffer, headers: Record<string, string> = {}) => fetch(url, { method: "PUT", headers: { "content-type": "application/json", ...headers }, body });

/** An OTLP request with one span whose output was sent by reference. */
function spanBody(): string {
  return JSON.stringify(
    jsonRequest([
      jsonSpan({
        parentSpanId: undefined,
        attributes: [
          { key: Tracewright.RUN_ID, value: { stringValue: "run-p" } },
          { key: OpenInference.OUTPUT_VALUE, value: { stringValue: marker } },
          { key: Tracewright.PAYLOAD_REF, value: { arrayValue: { values: [{ stringValue: hash }] } } },
        ],
      }),
    ]),
  );
}

const postSpan = (collector: CollectorHandle) => fetch(collector.tracesUrl, { method: "POST", headers: { "content-type": "application/json" }, body: spanBody() });
const output = async (store: SqliteStore) => (await store.getRunSpans("run-p"))[0]?.attributes[OpenInference.OUTPUT_VALUE];

describe("PUT /v1/payloads/<sha256>", () => {
  let store: SqliteStore;
  let collector: CollectorHandle;
  beforeEach(async () => {
    store = openSqliteStore({ path: ":memory:" });
    collector = await startCollector({ store, port: 0, maxBodyBytes: 256 * 1024 });
  });
  afterEach(async () => {
    await collector.close();
    await store.close();
  });

  it("keeps a payload once, whether it arrives before or after its span", async () => {
    expect((await postSpan(collector)).status).toBe(200);
    // The span first: the read names what is missing rather than cutting the state.
    expect(JSON.parse(String(await output(store)))).toMatchObject({ $type: PayloadMarker.MISSING, ref: hash });
    expect((await put(`${collector.url}/v1/payloads/${hash}`, state)).status).toBe(204);
    expect((await put(`${collector.url}/v1/payloads/${hash.toUpperCase()}`, gzipSync(state), { "content-encoding": "gzip" })).status).toBe(204);
    expect(await output(store)).toBe(state);
    expect(await store.getPayload(hash)).toBe(state);
  });

  it("refuses a body whose hash is not the one named, and keeps nothing", async () => {
    const other = "ab".repeat(32);
    const response = await put(`${collector.url}/v1/payloads/${other}`, state);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain(`sha256 is ${hash}, not the ${other}`);
    expect(await store.getPayload(other)).toBeUndefined();
    expect(await store.getPayload(hash)).toBeUndefined();
  });

  it("answers bad requests with what was wrong", async () => {
    const url = `${collector.url}/v1/payloads/${hash}`;
    expect((await put(`${collector.url}/v1/payloads/xyz`, state)).status).toBe(400);
    expect((await fetch(url)).status).toBe(405);
    expect((await put(url, state, { "content-type": "application/x-protobuf" })).status).toBe(415);
    const notJson = "not json";
    const notJsonAnswer = await put(`${collector.url}/v1/payloads/${createHash("sha256").update(notJson).digest("hex")}`, notJson);
    expect(notJsonAnswer.status).toBe(400);
    expect(((await notJsonAnswer.json()) as { message: string }).message).toMatch(/not UTF-8 JSON/);
    expect((await put(url, "x".repeat(300 * 1024))).status).toBe(413);
  });

  it("takes payloads under the token and refuses them without it", async () => {
    const guarded = await startCollector({ store, port: 0, token: "s3cret" });
    const url = `${guarded.url}/v1/payloads/${hash}`;
    expect((await put(url, state)).status).toBe(401);
    expect((await put(url, state, { authorization: "Bearer s3cret" })).status).toBe(204);
    await guarded.close();
  });

  it("says so when no sink keeps payloads (501), and asks for a retry when one fails (503)", async () => {
    const xrayLike: Sink = { name: "xray", write: async () => {}, flush: async () => {}, close: async () => {} };
    const none = await startCollector({ sinks: [xrayLike], port: 0 });
    const refused = await put(`${none.url}/v1/payloads/${hash}`, state);
    expect(refused.status).toBe(501);
    expect(((await refused.json()) as { message: string }).message).toMatch(/None of this collector's sinks \(xray\) keeps payloads/);
    await none.close();
    const failing: Sink = { ...xrayLike, name: "flaky", putPayload: async () => Promise.reject(new Error("disk full")) };
    const flaky = await startCollector({ sinks: [failing], port: 0, log: () => {} });
    const retry = await put(`${flaky.url}/v1/payloads/${hash}`, state);
    expect(retry.status).toBe(503);
    expect(retry.headers.get("retry-after")).toBe("5");
    await flaky.close();
  });

  it("is served by the Lambda HTTP handler too, flushed before it answers", async () => {
    const sink = memorySink();
    const handler = createHttpHandler({ sinks: [sink] });
    const event = (h: string, body: string) => ({ rawPath: `/v1/payloads/${h}`, requestContext: { http: { method: "PUT" } }, headers: { "content-type": "application/json" }, body });
    expect((await handler(event(hash, state))).statusCode).toBe(204);
    expect(sink.payloads.get(hash)).toBe(state);
    expect((await handler(event("cd".repeat(32), state))).statusCode).toBe(400);
  });
});
