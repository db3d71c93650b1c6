import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { openSqliteStore } from "@tracewright/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtlpDecodeError } from "../errors.js";
import { startCollector } from "../server.js";
import type { CollectorHandle } from "../server.js";
import { decodeOtlpJson } from "./json.js";
import { jsonRequest, jsonSpan, spanIdOf, toProtobuf } from "./otlp.fixtures.js";
import { decodeOtlpProtobuf } from "./protobuf.js";

// Bad input never crashes the collector: 10,000 generated bodies through the decoders, and
// 1,000 through the HTTP server, with only OtlpDecodeError or a per-span rejection as outcomes.

const idHex = (n: 16 | 32) => fc.stringMatching(n === 16 ? /^[0-9a-fA-F]{16}$/ : /^[0-9a-fA-F]{32}$/);
const attrValue = fc.oneof(
  fc.record({ stringValue: fc.string() }),
  fc.record({ intValue: fc.oneof(fc.integer().map(String), fc.integer()) }),
  fc.record({ boolValue: fc.boolean() }),
  fc.record({ doubleValue: fc.double() }),
  fc.anything(),
);
/** A span that is sometimes valid and often not, in every field. */
const span = fc.record(
  {
    traceId: fc.oneof(idHex(32), fc.string(), fc.constant("")),
    spanId: fc.oneof(idHex(16), fc.string()),
    parentSpanId: fc.oneof(idHex(16), fc.constant("")),
    name: fc.oneof(fc.string(), fc.integer()),
    kind: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom("SPAN_KIND_SERVER", "SPAN_KIND_NOPE")),
    startTimeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.integer(), fc.string()),
    endTimeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.integer(), fc.string()),
    attributes: fc.array(fc.record({ key: fc.string(), value: attrValue }), { maxLength: 4 }),
    status: fc.oneof(fc.record({ code: fc.integer({ min: -1, max: 4 }) }), fc.anything()),
  },
  { requiredKeys: [] },
);
const request = fc.array(span, { maxLength: 5 }).map((spans) => jsonRequest(spans));
const body = fc.oneof(
  request.map((r) => JSON.stringify(r)),
  fc.anything().map((v) => JSON.stringify(v) ?? "null"),
  fc.string(),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
);

function decodeSafely(decode: () => unknown): "ok" | "decode-error" {
  try {
    decode();
    return "ok";
  } catch (error) {
    if (error instanceof OtlpDecodeError) return "decode-error";
    throw error;
  }
}

describe("decoders under fuzz", () => {
  it("JSON: 5,000 bodies decode or fail with OtlpDecodeError, never anything else", () => {
    fc.assert(fc.property(body, (text) => decodeSafely(() => decodeOtlpJson(text)) !== undefined), { numRuns: 5000 });
  });

  it("protobuf: 5,000 bodies (valid, truncated, bit-flipped, random) decode or fail with OtlpDecodeError", () => {
    const valid = toProtobuf(jsonRequest([jsonSpan(), jsonSpan({ spanId: spanIdOf(2) })]));
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.integer({ min: 0, max: valid.length }).map((n) => valid.subarray(0, n)),
      fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
        const copy = Buffer.from(valid);
        copy[i] = v;
        return copy;
      }),
    );
    fc.assert(fc.property(mutated, (bytes) => decodeSafely(() => decodeOtlpProtobuf(bytes)) !== undefined), { numRuns: 5000 });
  });

  it("in a mixed batch the good spans are kept and the bad ones counted", () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 6 }), fc.integer({ min: 1, max: 5 }), (bad, good) => {
        const goodSpans = Array.from({ length: good }, (_, i) => jsonSpan({ spanId: spanIdOf(i + 1) }));
        const decoded = decodeOtlpJson(JSON.stringify(jsonRequest([...goodSpans, ...bad])));
        expect(decoded.spans.length + decoded.rejected.length).toBe(good + bad.length);
        expect(decoded.spans.length).toBeGreaterThanOrEqual(good);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the HTTP server under fuzz", () => {
  let collector: CollectorHandle;
  const store = openSqliteStore({ path: ":memory:" });
  beforeAll(async () => {
    collector = await startCollector({ store, port: 0, log: () => {} });
  });
  afterAll(async () => {
    await collector.close();
    await store.close();
  });

  it("1,000 random requests get a 2xx or 4xx, never a 5xx, and the collector keeps ingesting", async () => {
    const samples = fc.sample(
      fc.record({
        body: fc.oneof(body.map((t) => Buffer.from(t)), fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b))),
        type: fc.constantFrom("application/json", "application/x-protobuf", "text/plain", "application/json; charset=utf-8", ""),
        gzip: fc.boolean(),
        lieAboutGzip: fc.boolean(),
      }),
      { numRuns: 1000, seed: 42 },
    );
    const statuses = new Map<number, number>();
    for (const s of samples) {
      const payload = s.gzip ? gzipSync(s.body) : s.body;
      const headers: Record<string, string> = {};
      if (s.type !== "") headers["content-type"] = s.type;
      if (s.gzip || s.lieAboutGzip) headers["content-encoding"] = "gzip";
      const response = await fetch(collector.tracesUrl, { method: "POST", headers, body: payload });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `a ${s.type || "typeless"} body${s.gzip ? ", gzipped" : ""}`).toBeLessThan(500);
    }
    expect([...statuses.keys()].some((c) => c >= 400)).toBe(true);
    const good = await fetch(collector.tracesUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(jsonRequest([jsonSpan({ spanId: "0123456789abcdef" })])) });
    expect(good.status).toBe(200);
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
  });
});
