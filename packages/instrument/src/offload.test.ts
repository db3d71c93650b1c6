import { createHash } from "node:crypto";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { OpenInference, PayloadMarker, Tracewright, payloadMarker, readOffloadedMarker } from "./conventions.js";
import { PayloadRefused } from "./export-queue.js";
import type { PayloadTransport } from "./export-queue.js";
import { init, resolveMaxInlineBytes } from "./init.js";
import type { Tracing } from "./init.js";
import { inlineOrRef, overInlineLimit } from "./offload.js";
import type { PayloadSink } from "./offload.js";
import { serialize } from "./serialize.js";
import { runWithResult, tool } from "./steps.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function collectingSink(maxInlineBytes: number): PayloadSink & { offered: [string, string][] } {
  const offered: [string, string][] = [];
  return { maxInlineBytes, offered, offerPayload: (hash, body) => offered.push([hash, body]) > 0 };
}

describe("payloadMarker / readOffloadedMarker", () => {
  it("writes keys sorted and reads back only an Offloaded marker's text", () => {
    const fields = { bytes: 7, preview: '{"a":"\u00e9', ref: "ab".repeat(32) };
    const text = payloadMarker(PayloadMarker.OFFLOADED, fields);
    expect(text).toBe(`{"$type":"Offloaded","bytes":7,"preview":${JSON.stringify(fields.preview)},"ref":"${fields.ref}"}`);
    expect(readOffloadedMarker(text)).toEqual(fields);
    // A missing payload's marker, a user's own object with the same $type in another key order, a cut marker, and non-strings are not read as markers.
    expect(readOffloadedMarker(payloadMarker(PayloadMarker.MISSING, fields))).toBeUndefined();
    expect(readOffloadedMarker(`{"bytes":7,"$type":"Offloaded","ref":"x"}`)).toBeUndefined();
    expect(readOffloadedMarker(text.slice(0, -2))).toBeUndefined();
    expect(readOffloadedMarker(`{"$type":"Offloaded","bytes":7}`)).toBeUndefined();
    expect(readOffloadedMarker(7)).toBeUndefined();
  });
});

describe("inlineOrRef", () => {
  it("keeps a state that fits, and sends a larger one by reference with a valid-JSON marker", () => {
    const sink = collectingSink(4096);
    expect(inlineOrRef('{"a":1}', sink)).toEqual({ value: '{"a":1}' });
    const big = JSON.stringify({ text: "x".repeat(10_000) });
    const { value, ref } = inlineOrRef(big, sink);
    expect(ref).toBe(sha256(big));
    expect(JSON.parse(value)).toEqual({ $type: PayloadMarker.OFFLOADED, bytes: big.length, preview: big.slice(0, 1024), ref });
    expect(sink.offered).toEqual([[ref, big]]);
    // Without a payload sink nothing is sent: the state rides whole.
    expect(inlineOrRef(big, undefined)).toEqual({ value: big });
  });

  it("measures UTF-8 bytes, and never cuts the preview inside a surrogate pair", () => {
    expect(overInlineLimit("ü".repeat(600), 1024)).toBe(true);
    expect(overInlineLimit("u".repeat(1024), 1024)).toBe(false);
    const emoji = JSON.stringify("😀".repeat(5000));
    const { value } = inlineOrRef(emoji, collectingSink(4096));
    const preview = (JSON.parse(value) as { preview: string }).preview;
    expect(preview).toHaveLength(1023);
    expect(preview.endsWith("😀")).toBe(true);
  });
});

describe("resolveMaxInlineBytes", () => {
  afterEach(() => {
    delete process.env.TRACEWRIGHT_MAX_INLINE_BYTES;
  });

  it("takes the option, then the environment, then 256 KiB", () => {
    expect(resolveMaxInlineBytes()).toBe(256 * 1024);
    process.env.TRACEWRIGHT_MAX_INLINE_BYTES = "65536";
    expect(resolveMaxInlineBytes()).toBe(65_536);
    expect(resolveMaxInlineBytes(Infinity)).toBe(Infinity);
    // A typo in the environment falls back to the default; a wrong option is a clear error.
    process.env.TRACEWRIGHT_MAX_INLINE_BYTES = "64k";
    expect(resolveMaxInlineBytes()).toBe(256 * 1024);
    expect(() => resolveMaxInlineBytes(100)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringContaining("1024 or more") }));
  });
});

describe("steps with states over maxInlineBytes", () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  const big = { rows: Array.from({ length: 400 }, (_, i) => ({ i, text: "lorem ipsum" })) };
  const bigJson = JSON.stringify(big);

  function setup(transport?: PayloadTransport): InMemorySpanExporter {
    const exporter = new InMemorySpanExporter();
    tracing = init({ exporter, register: false, maxInlineBytes: 4096, exportQueue: { scheduledDelayMs: 1, payloadRetryDelayMs: 1 }, ...(transport === undefined ? {} : { payloadEndpoint: transport }) });
    return exporter;
  }

  it("records markers and both refs, input's first, and sends each payload once", async () => {
    const puts: string[] = [];
    const exporter = setup({ put: async (hash) => void puts.push(hash) });
    const output = { ...big, done: true };
    await runWithResult("a", {}, async () => {
      await tool("t", big, () => output);
      await tool("t", big, () => output);
    });
    await tracing?.flush();
    const span = exporter.getFinishedSpans().find((s) => s.attributes[Tracewright.STEP_KEY] === "a/tool:t#0");
    const refs = [sha256(bigJson), sha256(serialize(output))];
    expect(span?.attributes[Tracewright.PAYLOAD_REF]).toEqual(refs);
    expect(span?.attributes[Tracewright.INPUT_HASH]).toBe(refs[0]);
    expect(JSON.parse(String(span?.attributes[OpenInference.INPUT_VALUE]))).toMatchObject({ $type: PayloadMarker.OFFLOADED, ref: refs[0] });
    expect(JSON.parse(String(span?.attributes[OpenInference.OUTPUT_VALUE]))).toMatchObject({ $type: PayloadMarker.OFFLOADED, ref: refs[1] });
    expect(puts).toEqual(refs);
    expect(tracing?.stats()).toMatchObject({ payloadsExported: 2, droppedPayloads: 0, failedPayloads: 0, queuedBytes: 0 });
  });

  it("keeps states inline and whole when nothing takes payloads (a custom exporter, no endpoint)", async () => {
    const exporter = setup();
    await runWithResult("a", {}, () => tool("t", big, () => 1));
    await tracing?.flush();
    const span = exporter.getFinishedSpans().find((s) => s.attributes[Tracewright.STEP_KEY] === "a/tool:t#0");
    expect(span?.attributes[OpenInference.INPUT_VALUE]).toBe(bigJson);
    expect(span?.attributes[Tracewright.PAYLOAD_REF]).toBeUndefined();
  });

  it("retries a payload the collector could not take, and counts one it refused for good", async () => {
    let calls = 0;
    setup({
      put: async () => {
        calls++;
        if (calls < 3) throw new Error("ECONNREFUSED");
      },
    });
    await runWithResult("a", {}, () => tool("t", big, () => 1));
    await tracing?.flush();
    expect(calls).toBe(3);
    expect(tracing?.stats()).toMatchObject({ payloadsExported: 1, failedPayloads: 0 });
    await tracing?.shutdown();

    let refusals = 0;
    setup({
      put: async () => {
        refusals++;
        throw new PayloadRefused("the collector answered 501");
      },
    });
    await runWithResult("a", {}, () => tool("t", big, () => 1));
    await tracing?.flush();
    expect(refusals).toBe(1);
    expect(tracing?.stats()).toMatchObject({ payloadsExported: 0, failedPayloads: 1, queuedBytes: 0 });
  });

  it("spaces a payload's attempts by at least half of each backoff, so a collector restart of seconds does not use them up", async () => {
    const at: number[] = [];
    const exporter = new InMemorySpanExporter();
    // Six attempts, waits of at least 10, 20, 40, 80, 160 ms (half of 20 ms doubling).
    tracing = init({ exporter, register: false, maxInlineBytes: 4096, exportQueue: { scheduledDelayMs: 1, payloadRetryDelayMs: 20 }, payloadEndpoint: {
        put: async () => {
          at.push(performance.now());
          throw new Error("ECONNREFUSED");
        },
      },
    });
    await runWithResult("a", {}, () => tool("t", big, () => 1));
    for (let i = 0; i < 100 && tracing.stats().failedPayloads === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(tracing.stats()).toMatchObject({ failedPayloads: 1, payloadsExported: 0 });
    expect(at).toHaveLength(6);
    at.slice(1).forEach((t, i) => expect(t - (at[i] as number)).toBeGreaterThanOrEqual(10 * 2 ** i - 1));
  });
});
