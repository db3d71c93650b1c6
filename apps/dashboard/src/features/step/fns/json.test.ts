import { describe, expect, it } from "vitest";
import { ancestorsOf, diffJson, layoutJson, openLinesFrom, preview, searchLines, visibleLines } from "./json";

const doc = { goal: "find <b>", steps: [1, { tool: "search", args: {} }], done: false };

describe("layoutJson", () => {
  it("lays a value out as open, leaf and close lines with their paths, keys and commas", () => {
    const lines = layoutJson(doc);
    expect(lines.map((l) => `${"  ".repeat(l.depth)}${l.key === undefined ? "" : `${l.key}: `}${l.text}${l.comma ? "," : ""}`)).toEqual([
      "{",
      '  goal: "find <b>",',
      "  steps: [",
      "    1,",
      "    {",
      '      tool: "search",',
      "      args: {}",
      "    }",
      "  ],",
      "  done: false",
      "}",
    ]);
    expect(lines[0]).toMatchObject({ type: "open", end: 10, size: 3 });
    expect(lines[2]).toMatchObject({ type: "open", end: 8, size: 2, path: "steps" });
    expect(lines[5]?.path).toBe("steps.1.tool");
    expect(layoutJson("plain")).toEqual([{ depth: 0, type: "leaf", text: '"plain"', end: -1, size: 0, comma: false, path: "" }]);
  });

  it("handles depth far beyond the call stack", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 20_000; i++) deep = { d: deep };
    const lines = layoutJson(deep);
    expect(lines).toHaveLength(40_001);
    expect(lines[20_000]).toMatchObject({ text: '"bottom"', depth: 20_000 });
  });
});

describe("folding and search", () => {
  const lines = layoutJson(doc);

  it("hides a folded container's body", () => {
    expect(visibleLines(lines, new Set())).toHaveLength(11);
    expect(visibleLines(lines, new Set([2]))).toEqual([0, 1, 2, 9, 10]);
    expect(visibleLines(lines, new Set([0]))).toEqual([0]);
    expect(openLinesFrom(lines, 1)).toEqual([2, 4]);
  });

  it("finds keys and values case-insensitively, and the containers to unfold for a hit", () => {
    expect(searchLines(lines, "SEARCH")).toEqual([5]);
    expect(searchLines(lines, "steps")).toEqual([2]);
    expect(searchLines(lines, "  ")).toEqual([]);
    expect(ancestorsOf(lines, 5)).toEqual([0, 2, 4]);
  });
});

describe("diffJson", () => {
  it("reports added, removed and changed members by path", () => {
    expect(diffJson({ a: 1, b: { c: [1, 2], d: "x" }, gone: true }, { a: 1, b: { c: [1, 3, 4], d: "y" }, fresh: null })).toEqual([
      { path: "gone", op: "removed", before: true },
      { path: "fresh", op: "added", after: null },
      { path: "b.c.2", op: "added", after: 4 },
      { path: "b.c.1", op: "changed", before: 2, after: 3 },
      { path: "b.d", op: "changed", before: "x", after: "y" },
    ]);
  });

  it("is empty for equal values and whole for a change of type", () => {
    expect(diffJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
    expect(diffJson({ a: 1 }, [1])).toEqual([{ path: "(whole value)", op: "changed", before: { a: 1 }, after: [1] }]);
    expect(diffJson(null, undefined)).toEqual([]);
  });

  it("stops at the limit", () => {
    const a = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    expect(diffJson(a, {}, 10)).toHaveLength(10);
  });

  it("previews values in one bounded line", () => {
    expect(preview({ a: "b" })).toBe('{"a":"b"}');
    expect(preview("x".repeat(500), 10)).toBe(`"${"x".repeat(8)}…`);
  });
});
