import { StoreError } from "./errors.js";

/** A position in the newest-first run list: opaque to callers. */
export interface RunCursor {
  startUs: number;
  runId: string;
}

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(`${cursor.startUs}:${cursor.runId}`, "utf8").toString("base64url");
}

export function decodeCursor(text: string): RunCursor {
  const decoded = Buffer.from(text, "base64url").toString("utf8");
  const colon = decoded.indexOf(":");
  const startUs = Number(decoded.slice(0, colon));
  if (colon <= 0 || !Number.isSafeInteger(startUs)) {
    throw new StoreError("STORE_BAD_CURSOR", `Invalid run list cursor "${text}": pass back the nextCursor of the previous page unchanged.`);
  }
  return { startUs, runId: decoded.slice(colon + 1) };
}

/** A position in a run list sorted by `sort` in `order`: the last row's sort value and id. */
export interface SortCursor {
  sort: "start" | "duration";
  order: "asc" | "desc";
  value: number;
  runId: string;
}

/**
 * Cursors of the sorted run list carry their sort and order, so a cursor handed back with a
 * different sort is refused rather than silently skipping runs. The newest-first cursor keeps
 * the `encodeCursor` form, so cursors already handed out stay valid.
 */
export function encodeSortCursor(cursor: SortCursor): string {
  if (cursor.sort === "start" && cursor.order === "desc") return encodeCursor({ startUs: cursor.value, runId: cursor.runId });
  return Buffer.from(`${cursor.sort === "start" ? "s" : "d"}${cursor.order === "asc" ? "a" : "d"}~${cursor.value}:${cursor.runId}`, "utf8").toString("base64url");
}

export function decodeSortCursor(text: string, sort: SortCursor["sort"], order: SortCursor["order"]): SortCursor {
  const decoded = Buffer.from(text, "base64url").toString("utf8");
  const tilde = /^[sd][ad]~/.test(decoded) ? 3 : 0;
  const tag = tilde === 0 ? "sd" : decoded.slice(0, 2);
  const expected = `${sort === "start" ? "s" : "d"}${order === "asc" ? "a" : "d"}`;
  const { startUs, runId } = decodeCursor(tilde === 0 ? text : Buffer.from(decoded.slice(tilde), "utf8").toString("base64url"));
  if (tag !== expected) {
    throw new StoreError("STORE_BAD_CURSOR", `Invalid run list cursor "${text}": it belongs to another sort order. Pass back the nextCursor of the previous page with the same sort and order.`);
  }
  return { sort, order, value: startUs, runId };
}

/** The most runs one page of the run list holds. */
export const MAX_PAGE_SIZE = 1000;

/**
 * A run list query's `limit` as a whole page size: 50 when absent, clamped to 1–1,000, a fraction
 * rounded down. Anything but a number (NaN, a string from an unparsed query parameter) is a
 * `STORE_BAD_QUERY`, where it used to fail inside SQLite ("datatype mismatch") or list nothing.
 */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return 50;
  if (typeof limit !== "number" || Number.isNaN(limit)) throw new StoreError("STORE_BAD_QUERY", `limit must be a number of runs, 1 to ${MAX_PAGE_SIZE}; got ${JSON.stringify(limit) ?? String(limit)}.`);
  return Math.max(1, Math.min(Math.floor(limit), MAX_PAGE_SIZE));
}
