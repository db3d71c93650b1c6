import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatTimestamp, shortId, formatCount, formatTokens } from "./format";

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [0.42, "0.42 ms"],
    [0.5, "0.5 ms"],
    [3.25, "3.3 ms"],
    [12.4, "12 ms"],
    [999.6, "1 s"],
    [1234, "1.23 s"],
    [12_345, "12.3 s"],
    [125_000, "2m 05s"],
    [3_725_000, "1h 02m"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("shows a dash for a value that is not a duration", () => {
    expect(formatDuration(Number.NaN)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
  });
});

describe("formatTimestamp", () => {
  it("prints UTC, with milliseconds on request", () => {
    expect(formatTimestamp("2026-01-01T10:20:30.456Z")).toBe("2026-01-01 10:20:30 UTC");
    expect(formatTimestamp("2026-01-01T10:20:30.456Z", { millis: true })).toBe("2026-01-01 10:20:30.456 UTC");
  });

  it("returns text it cannot parse unchanged", () => {
    expect(formatTimestamp("not a time")).toBe("not a time");
  });
});

describe("shortId and formatBytes", () => {
  it("cuts ids to eight characters", () => {
    expect(shortId("0123456789abcdef")).toBe("01234567");
    expect(shortId("abc")).toBe("abc");
  });

  it("scales bytes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3 MB");
  });
});

describe("formatCount and formatTokens", () => {
  it("separates thousands the same on every server, and says — for what is not a count", () => {
    expect(formatCount(1545)).toBe("1,545");
    expect(formatCount(0)).toBe("0");
    expect(formatCount(Number.NaN)).toBe("—");
    expect(formatTokens(1545, 85)).toBe("1,545 in · 85 out");
  });
});
