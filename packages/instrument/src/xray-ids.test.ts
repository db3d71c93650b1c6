import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { init } from "./init.js";
import type { InitOptions } from "./init.js";
import { XRayIdGenerator } from "./xray-ids.js";

describe("XRayIdGenerator", () => {
  it("starts trace ids with the current epoch seconds in 8 hex digits, then 24 random ones", () => {
    const now = Date.UTC(2026, 10, 22, 14, 0, 0);
    const ids = new XRayIdGenerator(() => now);
    const a = ids.generateTraceId();
    const b = ids.generateTraceId();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(parseInt(a.slice(0, 8), 16)).toBe(now / 1000);
    expect(a.slice(8)).not.toBe(b.slice(8));
  });

  it("uses the real clock by default and makes valid span ids", () => {
    const ids = new XRayIdGenerator();
    const seconds = parseInt(ids.generateTraceId().slice(0, 8), 16);
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(5);
    const span = ids.generateSpanId();
    expect(span).toMatch(/^[0-9a-f]{16}$/);
    expect(span).not.toBe("0".repeat(16));
  });
});

describe("init() and X-Ray ids", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** The trace id of one span recorded through a provider that init() configured. */
  async function traceIdUnder(options: InitOptions = {}): Promise<string> {
    const exporter = new InMemorySpanExporter();
    const tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false, ...options });
    tracing.provider.getTracer("t").startSpan("s").end();
    const [span] = exporter.getFinishedSpans();
    await tracing.shutdown();
    return span?.spanContext().traceId ?? "";
  }

  /** Whether a trace id starts with the epoch seconds of now, as X-Ray requires. */
  const isXRay = (traceId: string): boolean => Math.abs(parseInt(traceId.slice(0, 8), 16) - Date.now() / 1000) < 60;

  it("makes X-Ray ids when TRACEWRIGHT_SINKS names xray, or when asked", async () => {
    delete process.env.TRACEWRIGHT_XRAY_IDS;
    process.env.TRACEWRIGHT_SINKS = "cloudwatch, XRay";
    expect(isXRay(await traceIdUnder())).toBe(true);
    delete process.env.TRACEWRIGHT_SINKS;
    expect(isXRay(await traceIdUnder({ xrayIds: true }))).toBe(true);
    process.env.TRACEWRIGHT_XRAY_IDS = "true";
    expect(isXRay(await traceIdUnder())).toBe(true);
  });

  it("keeps the SDK's random ids otherwise, and a given generator always wins", async () => {
    delete process.env.TRACEWRIGHT_XRAY_IDS;
    process.env.TRACEWRIGHT_SINKS = "store,cloudwatch";
    // Random ids start with the epoch seconds of now about once in 70 million.
    expect(isXRay(await traceIdUnder())).toBe(false);
    process.env.TRACEWRIGHT_SINKS = "xray";
    process.env.TRACEWRIGHT_XRAY_IDS = "false";
    expect(isXRay(await traceIdUnder())).toBe(false);
    delete process.env.TRACEWRIGHT_XRAY_IDS;
    expect(isXRay(await traceIdUnder({ xrayIds: false }))).toBe(false);
    const fixed = { generateTraceId: () => "0af7651916cd43dd8448eb211c80319c", generateSpanId: () => "b7ad6b7169203331" };
    expect(await traceIdUnder({ idGenerator: fixed })).toBe("0af7651916cd43dd8448eb211c80319c");
  });
});
