import type { DiffEntry, JsonLine } from "../types";

/**
 * Lays a JSON value out as lines for the viewer: one line per scalar, and an open and a close
 * line per non-empty object or array, each open line knowing where its body ends (so folding
 * is skipping a range). Iterative with an explicit stack (STYLE.md §10): any depth is safe.
 */
export function layoutJson(root: unknown): JsonLine[] {
  const lines: JsonLine[] = [];
  type Frame =
    | { readonly at: "value"; readonly value: unknown; readonly depth: number; readonly key: string | undefined; readonly comma: boolean; readonly path: string }
    | { readonly at: "close"; readonly open: number; readonly depth: number; readonly text: string; readonly comma: boolean; readonly path: string };
  const stack: Frame[] = [{ at: "value", value: root, depth: 0, key: undefined, comma: false, path: "" }];
  const mutable = lines as { -readonly [K in keyof JsonLine]: JsonLine[K] }[];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.at === "close") {
      (mutable[frame.open] as { end: number }).end = lines.length;
      lines.push({ depth: frame.depth, type: "close", text: frame.text, end: -1, size: 0, comma: frame.comma, path: frame.path });
      continue;
    }
    const { value, depth, key, comma, path } = frame;
    const base = key === undefined ? {} : { key };
    if (value !== null && typeof value === "object") {
      const isArray = Array.isArray(value);
      const entries: [string, unknown][] = isArray ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) {
        lines.push({ ...base, depth, type: "leaf", text: isArray ? "[]" : "{}", end: -1, size: 0, comma, path });
        continue;
      }
      const open = lines.length;
      // The comma after a container goes on its close line (the viewer reads it from there when folded).
      lines.push({ ...base, depth, type: "open", text: isArray ? "[" : "{", end: -1, size: entries.length, comma: false, path });
      stack.push({ at: "close", open, depth, text: isArray ? "]" : "}", comma, path });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown];
        stack.push({ at: "value", value: v, depth: depth + 1, key: isArray ? undefined : k, comma: i < entries.length - 1, path: path === "" ? k : `${path}.${k}` });
      }
      continue;
    }
    lines.push({ ...base, depth, type: "leaf", text: scalarText(value), end: -1, size: 0, comma, path });
  }
  return lines;
}

function scalarText(value: unknown): string {
  if (value === undefined) return "null";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The lines to show given the folded open-lines: a folded container shows its open line only.
 * Returns indexes into `lines`.
 */
export function visibleLines(lines: readonly JsonLine[], folded: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(i);
    const line = lines[i] as JsonLine;
    if (line.type === "open" && folded.has(i)) i = line.end;
  }
  return out;
}

/** Lines whose key or value contains `query` (case-insensitive); empty for a blank query. */
export function searchLines(lines: readonly JsonLine[], query: string): number[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as JsonLine;
    if (line.type === "close") continue;
    if ((line.key ?? "").toLowerCase().includes(q) || (line.type === "leaf" && line.text.toLowerCase().includes(q))) out.push(i);
  }
  return out;
}

/** The open lines enclosing line `index` (to unfold so a search hit shows). */
export function ancestorsOf(lines: readonly JsonLine[], index: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < index; i++) {
    const line = lines[i] as JsonLine;
    if (line.type === "open" && line.end > index) out.push(i);
  }
  return out;
}

/** Open lines at `depth` or deeper: what "fold all below depth N" folds. */
export function openLinesFrom(lines: readonly JsonLine[], depth: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as JsonLine;
    if (line.type === "open" && line.depth >= depth) out.push(i);
  }
  return out;
}

/**
 * The differences from `before` to `after`: members added, removed or changed, by path, down to
 * scalars (arrays compared by position). Iterative; stops after `limit` entries.
 */
export function diffJson(before: unknown, after: unknown, limit = 500): DiffEntry[] {
  const out: DiffEntry[] = [];
  const stack: { a: unknown; b: unknown; path: string }[] = [{ a: before, b: after, path: "" }];
  while (stack.length > 0 && out.length < limit) {
    const { a, b, path } = stack.pop() as { a: unknown; b: unknown; path: string };
    if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
      const ak = Object.keys(a);
      const bk = Object.keys(b);
      const bSet = new Set(bk);
      const aSet = new Set(ak);
      const pending: { a: unknown; b: unknown; path: string }[] = [];
      const here: DiffEntry[] = [];
      for (const k of ak) {
        const p = path === "" ? k : `${path}.${k}`;
        if (!bSet.has(k)) here.push({ path: p, op: "removed", before: (a as Record<string, unknown>)[k] });
        else pending.push({ a: (a as Record<string, unknown>)[k], b: (b as Record<string, unknown>)[k], path: p });
      }
      for (const k of bk) if (!aSet.has(k)) here.push({ path: path === "" ? k : `${path}.${k}`, op: "added", after: (b as Record<string, unknown>)[k] });
      // Members in order: push in reverse so the first is examined first; own adds/removes first.
      for (const entry of here) if (out.length < limit) out.push(entry);
      for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as { a: unknown; b: unknown; path: string });
      continue;
    }
    if (!sameScalar(a, b)) out.push({ path: path === "" ? "(whole value)" : path, op: "changed", before: a, after: b });
  }
  return out;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === "object";
}

function sameScalar(a: unknown, b: unknown): boolean {
  if (isContainer(a) || isContainer(b)) return false;
  return a === b || (a === undefined && b === null) || (a === null && b === undefined);
}

/** A value as one line of JSON text, cut at `max` characters with an ellipsis. */
export function preview(value: unknown, max = 160): string {
  const text = scalarText(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
