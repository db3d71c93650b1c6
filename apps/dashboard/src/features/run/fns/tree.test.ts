import type { Step } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { buildStepTree, defaultSelection, packTreeItems, pathTo, selectStep, toTreeItems, unpackTreeItems } from "./tree";

const T0 = Date.UTC(2026, 0, 1);

function step(key: string, depth: number, startMs: number, durationMs: number, status: Step["status"] = "ok", parentKey?: string): Step {
  const slash = key.lastIndexOf("/");
  return {
    key,
    kind: depth === 0 ? "agent" : "node",
    name: key.slice(slash + 1),
    parentKey: parentKey ?? (slash === -1 ? null : key.slice(0, slash)),
    status,
    startTime: new Date(T0 + startMs).toISOString(),
    durationMs,
    input: {},
    output: null,
    spanId: key,
    depth,
    attributes: {},
  };
}

const run = { startTime: new Date(T0).toISOString(), durationMs: 100 };

// supervisor ─┬─ plan
//             └─ research ─┬─ search (failed)
//                          └─ fetch
const steps: Step[] = [
  step("s", 0, 0, 100, "error"),
  step("s/plan", 1, 0, 10),
  step("s/research", 1, 10, 80, "error"),
  step("s/research/search", 2, 20, 30, "error"),
  step("s/research/fetch", 2, 50, 40),
];

describe("buildStepTree", () => {
  it("finds parents and sums subtrees from the canonical order", () => {
    const tree = buildStepTree(steps, run);
    expect(tree.rows.map((r) => [r.step.key, r.parentIndex, r.depth, r.childCount, r.descendantCount, r.failedBelow])).toEqual([
      ["s", -1, 0, 2, 4, 2],
      ["s/plan", 0, 1, 0, 0, 0],
      ["s/research", 0, 1, 2, 2, 1],
      ["s/research/search", 2, 2, 0, 0, 0],
      ["s/research/fetch", 2, 2, 0, 0, 0],
    ]);
  });

  it("places each step's bar in the run's time window", () => {
    const tree = buildStepTree(steps, run);
    expect(tree.startMs).toBe(T0);
    expect(tree.durationMs).toBe(100);
    const search = tree.rows[3];
    expect(search?.offsetMs).toBe(20);
    expect(search?.offsetPct).toBe(20);
    expect(search?.widthPct).toBe(30);
  });

  it("stretches the window to hold steps outside the run's own bounds", () => {
    const late = [step("s", 0, 0, 100), step("s/late", 1, 150, 50)];
    const tree = buildStepTree(late, run);
    expect(tree.durationMs).toBe(200);
    expect(tree.rows[1]?.offsetPct).toBe(75);
    expect(tree.rows[1]?.widthPct).toBe(25);
  });

  it("handles an empty run and a run whose steps take no time", () => {
    expect(buildStepTree([], run).rows).toEqual([]);
    const instant = buildStepTree([step("s", 0, 0, 0)], { startTime: run.startTime, durationMs: 0 });
    expect(instant.rows[0]?.widthPct).toBe(100);
    expect(instant.rows[0]?.offsetPct).toBe(0);
  });

  it("keeps orphans as roots and repairs a depth that skips a level", () => {
    const odd = [step("a", 0, 0, 10), step("a/b/c", 2, 1, 1), step("orphan", 0, 2, 1)];
    const tree = buildStepTree(odd, run);
    expect(tree.rows.map((r) => [r.parentIndex, r.depth])).toEqual([
      [-1, 0],
      [0, 1],
      [-1, 0],
    ]);
  });

  it("lays out a 100,000-deep chain without recursion", () => {
    const deep: Step[] = [];
    for (let d = 0; d < 100_000; d++) deep.push(step(`n${d}`, d, d, 1, d === 99_999 ? "error" : "ok", d === 0 ? undefined : `n${d - 1}`));
    const tree = buildStepTree(deep, run);
    expect(tree.rows[0]?.descendantCount).toBe(99_999);
    expect(tree.rows[0]?.failedBelow).toBe(1);
    expect(tree.rows[99_999]?.depth).toBe(99_999);
    expect(pathTo(tree.rows, 99_999)).toHaveLength(100_000);
    expect(defaultSelection(tree.rows)).toBe(99_999);
  });
});

describe("selection", () => {
  const rows = buildStepTree(steps, run).rows;

  it("defaults to where the run failed: the first failed step with nothing failed below it", () => {
    expect(defaultSelection(rows)).toBe(3);
    expect(selectStep(rows, undefined)).toEqual({ index: 3 });
  });

  it("defaults to the root of a run that did not fail", () => {
    const ok = buildStepTree([step("s", 0, 0, 10), step("s/a", 1, 0, 5)], run).rows;
    expect(defaultSelection(ok)).toBe(0);
    expect(defaultSelection([])).toBe(-1);
  });

  it("selects by key, and reports a key the run does not have", () => {
    expect(selectStep(rows, "s/plan")).toEqual({ index: 1 });
    expect(selectStep(rows, "nope")).toEqual({ index: 3, missingKey: "nope" });
  });

  it("walks the path from the root to a step", () => {
    expect(pathTo(rows, 4).map((r) => r.step.key)).toEqual(["s", "s/research", "s/research/fetch"]);
    expect(pathTo(rows, 0).map((r) => r.step.key)).toEqual(["s"]);
    expect(pathTo(rows, -1)).toEqual([]);
  });
});

describe("toTreeItems", () => {
  it("keeps what the list draws, with the error summary only where the failure started", () => {
    const failing: Step[] = [...steps];
    failing[3] = { ...(steps[3] as Step), error: { type: "ToolTimeoutError", message: "timed out" } };
    failing[0] = { ...(steps[0] as Step), error: { type: "ToolTimeoutError", message: "timed out" } };
    const items = toTreeItems(buildStepTree(failing, { startTime: run.startTime, durationMs: 300 }).rows);
    expect(items[3]).toEqual({ k: "search", i: "s/research/search", t: "node", n: "search", s: "error", d: 2, ms: 30, o: 6.67, w: 10, e: "ToolTimeoutError: timed out" });
    expect(items[0]?.e).toBeUndefined();
    expect(items[1]?.e).toBeUndefined();
    // Shipped as tuples, read back the same.
    const packed = packTreeItems([...items, { ...(items[1] as (typeof items)[number]), a: 1 }]);
    expect(packed[3]).toEqual(["search", "s/research/search", "node", "search", "error", 2, 30, 6.67, 10, "ToolTimeoutError: timed out", 0]);
    expect(unpackTreeItems(packed)).toEqual([...items, { ...(items[1] as (typeof items)[number]), a: 1 }]);
  });
});
