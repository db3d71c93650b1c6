import type { TreeItem } from "../types";

/**
 * Parents of the tree items from their depths (canonical order: parents before children):
 * an explicit stack of open ancestors, iterative. -1 for a root.
 */
export function parentsOf(items: readonly Pick<TreeItem, "d">[]): Int32Array {
  const parents = new Int32Array(items.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const depth = Math.max(0, (items[i] as Pick<TreeItem, "d">).d);
    while (open.length > depth) open.pop();
    parents[i] = open.length > 0 ? (open[open.length - 1] as number) : -1;
    open.push(i);
  }
  return parents;
}

/** Indexes from the root down to `index`, inclusive. */
export function pathIndexes(parents: Int32Array, index: number): number[] {
  const path: number[] = [];
  for (let at = index; at >= 0 && at < parents.length; at = parents[at] as number) path.push(at);
  return path.reverse();
}

/** Direct children of each item, counted. */
export function childCounts(parents: Int32Array): Int32Array {
  const counts = new Int32Array(parents.length);
  for (const p of parents) if (p >= 0) counts[p] = (counts[p] as number) + 1;
  return counts;
}

/**
 * The node step that ran before `index` under the same parent, for "what changed since the
 * previous node": -1 when there is none (or `index` is not a node).
 */
export function previousNode(items: readonly Pick<TreeItem, "t">[], parents: Int32Array, index: number): number {
  if ((items[index] as Pick<TreeItem, "t"> | undefined)?.t !== "node") return -1;
  const parent = parents[index];
  for (let i = index - 1; i >= 0 && i > (parent ?? -1); i--) {
    if (parents[i] === parent && (items[i] as Pick<TreeItem, "t">).t === "node") return i;
  }
  return -1;
}

/** Where a key press moves the active row of a list of `count` rows; undefined for other keys. */
export function moveActive(key: string, active: number, count: number, page = 20): number | undefined {
  if (count === 0) return undefined;
  const clamp = (n: number): number => Math.min(count - 1, Math.max(0, n));
  switch (key) {
    case "ArrowDown":
      return clamp(active + 1);
    case "ArrowUp":
      return clamp(active - 1);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "PageDown":
      return clamp(active + page);
    case "PageUp":
      return clamp(active - page);
    default:
      return undefined;
  }
}

/** The full step keys of the tree items (see `toTreeItems`): a parent's key, `/`, the item's part. */
export function expandKeys(items: readonly Pick<TreeItem, "k" | "a">[], parents: Int32Array): string[] {
  const keys: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Pick<TreeItem, "k" | "a">;
    const parent = parents[i] ?? -1;
    keys.push(parent < 0 || item.a === 1 ? item.k : `${keys[parent] as string}/${item.k}`);
  }
  return keys;
}

/**
 * For each item, the index just past its subtree (its descendants follow it in canonical order).
 * One pass with a stack of open items, iterative.
 */
export function subtreeEnds(items: readonly Pick<TreeItem, "d">[]): Int32Array {
  const ends = new Int32Array(items.length).fill(items.length);
  const open: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const depth = (items[i] as Pick<TreeItem, "d">).d;
    while (open.length > 0 && (items[open[open.length - 1] as number] as Pick<TreeItem, "d">).d >= depth) ends[open.pop() as number] = i;
    open.push(i);
  }
  return ends;
}

/** The items shown when the subtrees of `collapsed` are folded away, in order. */
export function visibleItems(ends: Int32Array, collapsed: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < ends.length; i++) {
    out.push(i);
    if (collapsed.has(i)) i = (ends[i] as number) - 1;
  }
  return out;
}

/** What ArrowLeft / ArrowRight do on an item, as the ARIA tree pattern has it. */
export function horizontalMove(key: "ArrowLeft" | "ArrowRight", index: number, ends: Int32Array, parents: Int32Array, collapsed: ReadonlySet<number>): { collapse: number } | { expand: number } | { move: number } | undefined {
  const hasChildren = (ends[index] ?? 0) > index + 1;
  if (key === "ArrowRight") {
    if (!hasChildren) return undefined;
    return collapsed.has(index) ? { expand: index } : { move: index + 1 };
  }
  if (hasChildren && !collapsed.has(index)) return { collapse: index };
  const parent = parents[index] ?? -1;
  return parent >= 0 ? { move: parent } : undefined;
}

/**
 * Where each item of `before` is in `after`, by span id (-1 when it is not there): a live run's
 * refresh inserts the steps that have ended since, often above those already shown (a node ends
 * after its children), so a row's index is not the step's identity, its span id is.
 */
export function followItems(before: readonly Pick<TreeItem, "i">[], after: readonly Pick<TreeItem, "i">[]): (index: number) => number {
  const at = new Map<string, number>();
  after.forEach((item, index) => at.set(item.i, index));
  return (index) => {
    const item = before[index];
    return item === undefined ? -1 : (at.get(item.i) ?? -1);
  };
}
