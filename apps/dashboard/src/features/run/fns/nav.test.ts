import { describe, expect, it } from "vitest";
import { buildStepTree, toTreeItems } from "./tree";
import { childCounts, expandKeys, followItems, horizontalMove, moveActive, parentsOf, pathIndexes, previousNode, subtreeEnds, visibleItems } from "./nav";

// 0 agent ─┬─ 1 node plan ── 2 llm
//          ├─ 3 node research ── 4 tool
//          └─ 5 node answer
const items = [
  { d: 0, t: "agent" },
  { d: 1, t: "node" },
  { d: 2, t: "llm" },
  { d: 1, t: "node" },
  { d: 2, t: "tool" },
  { d: 1, t: "node" },
];

describe("tree navigation", () => {
  it("finds parents, paths and child counts from depths", () => {
    const parents = parentsOf(items);
    expect([...parents]).toEqual([-1, 0, 1, 0, 3, 0]);
    expect(pathIndexes(parents, 4)).toEqual([0, 3, 4]);
    expect([...childCounts(parents)]).toEqual([3, 1, 0, 1, 0, 0]);
  });

  it("finds the previous node under the same parent", () => {
    const parents = parentsOf(items);
    expect(previousNode(items, parents, 5)).toBe(3);
    expect(previousNode(items, parents, 3)).toBe(1);
    expect(previousNode(items, parents, 1)).toBe(-1);
    expect(previousNode(items, parents, 4)).toBe(-1);
  });

  it("handles 100,000 levels without recursion", () => {
    const deep = Array.from({ length: 100_000 }, (_, i) => ({ d: i }));
    const parents = parentsOf(deep);
    expect(parents[99_999]).toBe(99_998);
    expect(pathIndexes(parents, 99_999)).toHaveLength(100_000);
  });

  it("moves the active row by key, within bounds", () => {
    expect(moveActive("ArrowDown", 0, 3)).toBe(1);
    expect(moveActive("ArrowDown", 2, 3)).toBe(2);
    expect(moveActive("ArrowUp", 0, 3)).toBe(0);
    expect(moveActive("End", 0, 3)).toBe(2);
    expect(moveActive("Home", 2, 3)).toBe(0);
    expect(moveActive("PageDown", 0, 100, 20)).toBe(20);
    expect(moveActive("PageUp", 5, 100, 20)).toBe(0);
    expect(moveActive("x", 0, 3)).toBeUndefined();
    expect(moveActive("ArrowDown", 0, 0)).toBeUndefined();
  });
});

describe("step keys", () => {
  it("are sent relative to the parent's and expanded back whole, foreign keys included", () => {
    const keys = ["s", "s/node:a#0", "s/node:a#0/tool:t#0", "elsewhere", "s/node:b#0"];
    const depths = [0, 1, 2, 2, 1];
    const steps = keys.map((key, i) => ({ key, kind: "node", name: key, parentKey: null, status: "ok" as const, startTime: "2026-01-01T00:00:00.000Z", durationMs: 1, input: null, output: null, spanId: `span${i}`, depth: depths[i] ?? 0, attributes: {} }));
    const items = toTreeItems(buildStepTree(steps, { startTime: "2026-01-01T00:00:00.000Z", durationMs: 1 }).rows);
    expect(items.map((i) => [i.k, i.a])).toEqual([
      ["s", undefined],
      ["node:a#0", undefined],
      ["tool:t#0", undefined],
      ["elsewhere", 1],
      ["node:b#0", undefined],
    ]);
    expect(expandKeys(items, parentsOf(items))).toEqual(keys);
  });
});

describe("folding the tree", () => {
  // 0 ─┬─ 1 ── 2
  //    ├─ 3 ── 4
  //    └─ 5
  const parents = parentsOf(items);
  const ends = subtreeEnds(items);

  it("knows where each subtree ends and hides folded ones", () => {
    expect([...ends]).toEqual([6, 3, 3, 5, 5, 6]);
    expect(visibleItems(ends, new Set())).toEqual([0, 1, 2, 3, 4, 5]);
    expect(visibleItems(ends, new Set([1, 3]))).toEqual([0, 1, 3, 5]);
    expect(visibleItems(ends, new Set([0, 1]))).toEqual([0]);
  });

  it("moves and folds with ArrowLeft and ArrowRight", () => {
    expect(horizontalMove("ArrowLeft", 3, ends, parents, new Set())).toEqual({ collapse: 3 });
    expect(horizontalMove("ArrowLeft", 3, ends, parents, new Set([3]))).toEqual({ move: 0 });
    expect(horizontalMove("ArrowLeft", 4, ends, parents, new Set())).toEqual({ move: 3 });
    expect(horizontalMove("ArrowLeft", 0, ends, parents, new Set([0]))).toBeUndefined();
    expect(horizontalMove("ArrowRight", 3, ends, parents, new Set([3]))).toEqual({ expand: 3 });
    expect(horizontalMove("ArrowRight", 3, ends, parents, new Set())).toEqual({ move: 4 });
    expect(horizontalMove("ArrowRight", 5, ends, parents, new Set())).toBeUndefined();
  });

  it("handles 100,000 levels", () => {
    const deep = Array.from({ length: 100_000 }, (_, i) => ({ d: i }));
    const deepEnds = subtreeEnds(deep);
    expect(deepEnds[0]).toBe(100_000);
    expect(visibleItems(deepEnds, new Set([1]))).toEqual([0, 1]);
  });
});

describe("followItems", () => {
  it("finds each step again by span id after a refresh inserted steps above it", () => {
    const before = [{ i: "plan" }, { i: "fetch" }];
    const after = [{ i: "plan" }, { i: "work" }, { i: "fetch" }, { i: "answer" }];
    const follow = followItems(before, after);
    expect([0, 1].map(follow)).toEqual([0, 2]);
    expect(follow(-1)).toBe(-1);
    expect(followItems(after, before)(1)).toBe(-1);
  });
});
