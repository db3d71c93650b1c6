import { describe, expect, it } from "vitest";
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
