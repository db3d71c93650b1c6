import type { RunSummary, Step } from "@tracewright/store";
import type { PackedTreeItem, Selection, StepRow, StepTree, TreeItem } from "../types";

/**
 * Lays out a run's steps for the tree view. The steps arrive flat in canonical order
 * (depth-first, parents before children, each with its depth), so parents are found with an
 * explicit stack of open ancestors and the subtree counts are summed in one backwards pass:
 * iterative throughout (STYLE.md §10), so a run of any depth cannot overflow the call stack.
 *
 * Parents are taken from the order and depths rather than from `parentKey`, so the layout holds
 * even if two steps were recorded under the same key.
 */
export function buildStepTree(steps: readonly Step[], run: Pick<RunSummary, "startTime" | "durationMs">): StepTree {
  const n = steps.length;
  const parent = new Int32Array(n).fill(-1);
  const depth = new Int32Array(n);
  const childCount = new Int32Array(n);
  const descendants = new Int32Array(n);
  const failedBelow = new Int32Array(n);
  const starts = new Float64Array(n);

  const runStart = Date.parse(run.startTime);
  let windowStart = Number.isFinite(runStart) ? runStart : Number.POSITIVE_INFINITY;
  let windowEnd = Number.isFinite(runStart) ? runStart + Math.max(0, run.durationMs) : Number.NEGATIVE_INFINITY;

  const open: number[] = [];
  for (let i = 0; i < n; i++) {
    const step = steps[i] as Step;
    const wanted = Math.max(0, step.depth);
    while (open.length > wanted) open.pop();
    const p = open.length > 0 ? (open[open.length - 1] as number) : -1;
    parent[i] = p;
    depth[i] = open.length;
    open.push(i);

    const start = Date.parse(step.startTime);
    starts[i] = start;
    if (Number.isFinite(start)) {
      windowStart = Math.min(windowStart, start);
      windowEnd = Math.max(windowEnd, start + Math.max(0, step.durationMs));
    }
  }

  for (let i = n - 1; i >= 0; i--) {
    const p = parent[i] as number;
    if (p === -1) continue;
    childCount[p] = (childCount[p] as number) + 1;
    descendants[p] = (descendants[p] as number) + 1 + (descendants[i] as number);
    failedBelow[p] = (failedBelow[p] as number) + (failedBelow[i] as number) + ((steps[i] as Step).status === "error" ? 1 : 0);
  }

  if (!Number.isFinite(windowStart)) windowStart = 0;
  if (!Number.isFinite(windowEnd) || windowEnd < windowStart) windowEnd = windowStart;
  const span = windowEnd - windowStart;

  const rows: StepRow[] = [];
  for (let i = 0; i < n; i++) {
    const step = steps[i] as Step;
    const start = starts[i] as number;
    const offsetMs = Number.isFinite(start) ? start - windowStart : 0;
    rows.push({
      index: i,
      step,
      parentIndex: parent[i] as number,
      depth: depth[i] as number,
      childCount: childCount[i] as number,
      descendantCount: descendants[i] as number,
      failedBelow: failedBelow[i] as number,
      offsetMs,
      offsetPct: span > 0 ? clampPct((offsetMs / span) * 100) : 0,
      widthPct: span > 0 ? clampPct((Math.max(0, step.durationMs) / span) * 100) : 100,
    });
  }
  return { rows, startMs: windowStart, durationMs: span };
}

function clampPct(value: number): number {
  return Math.min(100, Math.max(0, value));
}

/**
 * The step shown when none is asked for: where the run failed, if it did, else its root.
 * "Where it failed" is the first failed step, in canonical order, with no failed step below
 * it: an error propagates up to every ancestor, and the root's own failure says little.
 */
export function defaultSelection(rows: readonly StepRow[]): number {
  for (const row of rows) if (row.step.status === "error" && row.failedBelow === 0) return row.index;
  return rows.length > 0 ? 0 : -1;
}

/** The step named by `?step=`, else the default; an unknown key is reported, not an error. */
export function selectStep(rows: readonly StepRow[], key: string | undefined): Selection {
  if (key === undefined) return { index: defaultSelection(rows) };
  const found = rows.find((row) => row.step.key === key);
  if (found !== undefined) return { index: found.index };
  return { index: defaultSelection(rows), missingKey: key };
}

/** The rows from the root down to `index`, inclusive: the selected step's path. */
export function pathTo(rows: readonly StepRow[], index: number): StepRow[] {
  const path: StepRow[] = [];
  let at = index;
  while (at >= 0 && at < rows.length) {
    const row = rows[at] as StepRow;
    path.push(row);
    at = row.parentIndex;
  }
  return path.reverse();
}

/**
 * The rows in the compact shape the client tree list renders. A key that extends its parent's
 * (`parent/kind:name#n`, the usual case) is sent as the extension alone; `expandKeys` rebuilds it.
 */
export function toTreeItems(rows: readonly StepRow[]): TreeItem[] {
  const items: TreeItem[] = [];
  for (const row of rows) {
    const { step } = row;
    const parentKey = rows[row.parentIndex]?.step.key;
    const relative = parentKey !== undefined && step.key.startsWith(`${parentKey}/`);
    const item: TreeItem = {
      k: relative ? step.key.slice(parentKey.length + 1) : step.key,
      i: step.spanId,
      t: step.kind,
      n: step.name,
      s: step.status,
      d: row.depth,
      ms: step.durationMs,
      o: round2(row.offsetPct),
      w: round2(row.widthPct),
    };
    if (parentKey !== undefined && !relative) item.a = 1;
    if (step.error !== undefined && row.failedBelow === 0) item.e = `${step.error.type}: ${step.error.message}`;
    items.push(item);
  }
  return items;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Tree items as tuples for the page payload (see `PackedTreeItem`). */
export function packTreeItems(items: readonly TreeItem[]): PackedTreeItem[] {
  return items.map((it) => [it.k, it.i, it.t, it.n, it.s, it.d, it.ms, it.o, it.w, it.e ?? null, it.a ?? 0]);
}

/** The inverse of `packTreeItems`. */
export function unpackTreeItems(packed: readonly PackedTreeItem[]): TreeItem[] {
  return packed.map(([k, i, t, n, s, d, ms, o, w, e, a]) => {
    const item: TreeItem = { k, i, t, n, s, d, ms, o, w };
    if (e !== null) item.e = e;
    if (a === 1) item.a = 1;
    return item;
  });
}
