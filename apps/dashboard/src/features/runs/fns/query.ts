import type { RunQuery, RunStatus } from "@tracewright/store";
import { firstParam, withQuery } from "../../../shared/fns/search-params";
import type { SearchParams } from "../../../shared/fns/search-params";
import type { RunsFilter, TimeRange } from "../types";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The run statuses, in the order the filter offers them. */
export const RUN_STATUSES: readonly RunStatus[] = ["error", "ok", "running"];

/** The time ranges, in the order the filter offers them, with their length and label. */
export const TIME_RANGES: readonly { readonly value: TimeRange; readonly ms: number; readonly label: string }[] = [
  { value: "15m", ms: 15 * 60_000, label: "Last 15 minutes" },
  { value: "1h", ms: 3_600_000, label: "Last hour" },
  { value: "24h", ms: 86_400_000, label: "Last 24 hours" },
  { value: "7d", ms: 7 * 86_400_000, label: "Last 7 days" },
];

/** `?status=` values: the store's, plus `failed` as the CLI spells it (`runs list --status failed`). */
export function parseStatus(value: string | undefined): RunStatus | undefined {
  switch (value?.toLowerCase()) {
    case "error":
    case "failed":
      return "error";
    case "ok":
      return "ok";
    case "running":
      return "running";
    default:
      return undefined;
  }
}

/**
 * Reads `?status=&agent=&range=&min=&errors=&q=&sort=&order=&cursor=&limit=`; anything
 * malformed is ignored rather than an error (`min` is milliseconds, a whole number).
 */
export function parseRunsParams(params: SearchParams): RunsFilter {
  const status = parseStatus(firstParam(params, "status"));
  const agent = firstParam(params, "agent")?.trim();
  const rangeText = firstParam(params, "range");
  const range = TIME_RANGES.find((r) => r.value === rangeText)?.value;
  const minText = firstParam(params, "min")?.trim();
  const minMs = minText !== undefined && /^\d{1,12}$/.test(minText) && Number(minText) > 0 ? Number(minText) : undefined;
  const errorsText = firstParam(params, "errors");
  const errors = errorsText === "yes" || errorsText === "no" ? errorsText : undefined;
  const q = firstParam(params, "q")?.trim().slice(0, 200);
  const sort = firstParam(params, "sort") === "duration" ? "duration" : undefined;
  const orderText = firstParam(params, "order");
  const order = orderText === "asc" || orderText === "desc" ? orderText : undefined;
  const cursor = firstParam(params, "cursor");
  const limitText = firstParam(params, "limit");
  const limit = limitText !== undefined && /^\d+$/.test(limitText) ? Number(limitText) : DEFAULT_PAGE_SIZE;
  return {
    ...(status === undefined ? {} : { status }),
    ...(agent === undefined || agent === "" ? {} : { agent }),
    ...(range === undefined ? {} : { range }),
    ...(minMs === undefined ? {} : { minMs }),
    ...(errors === undefined ? {} : { errors }),
    ...(q === undefined || q === "" ? {} : { q }),
    ...(sort === undefined ? {} : { sort }),
    ...(order === undefined || order === "desc" ? {} : { order }),
    ...(cursor === undefined ? {} : { cursor }),
    limit: Math.min(MAX_PAGE_SIZE, Math.max(1, limit)),
  };
}

/** Whether any filter narrows the list (sort and paging do not). */
export function isFiltered(filter: RunsFilter): boolean {
  return filter.status !== undefined || filter.agent !== undefined || filter.range !== undefined || filter.minMs !== undefined || filter.errors !== undefined || filter.q !== undefined;
}

/** The store query for a filter, `now` being the current time in epoch milliseconds. */
export function toRunQuery(filter: RunsFilter, now: number): RunQuery {
  const range = TIME_RANGES.find((r) => r.value === filter.range);
  return {
    ...(filter.status === undefined ? {} : { status: filter.status }),
    ...(filter.agent === undefined ? {} : { agent: filter.agent }),
    ...(range === undefined ? {} : { startedAfter: new Date(now - range.ms).toISOString() }),
    ...(filter.minMs === undefined ? {} : { minDurationMs: filter.minMs }),
    ...(filter.errors === undefined ? {} : { hasErrors: filter.errors === "yes" }),
    ...(filter.q === undefined ? {} : { text: filter.q }),
    ...(filter.sort === undefined ? {} : { sort: filter.sort }),
    ...(filter.order === undefined ? {} : { order: filter.order }),
    ...(filter.cursor === undefined ? {} : { cursor: filter.cursor }),
    limit: filter.limit,
  };
}

/** The runs page for a filter: always the first page unless a cursor is given. */
export function runsHref(filter: Partial<RunsFilter>): string {
  return withQuery("/", [
    ["status", filter.status],
    ["agent", filter.agent],
    ["range", filter.range],
    ["min", filter.minMs === undefined ? undefined : String(filter.minMs)],
    ["errors", filter.errors],
    ["q", filter.q],
    ["sort", filter.sort === "duration" ? "duration" : undefined],
    ["order", filter.order === "asc" ? "asc" : undefined],
    ["limit", filter.limit === undefined || filter.limit === DEFAULT_PAGE_SIZE ? undefined : String(filter.limit)],
    ["cursor", filter.cursor],
  ]);
}

/**
 * The link a sortable column header points to: the first click sorts by that column, longest or
 * newest first; a click on the current sort column flips the order. Paging restarts.
 */
export function sortHref(filter: RunsFilter, column: "start" | "duration"): string {
  const current = filter.sort ?? "start";
  const order = current === column && (filter.order ?? "desc") === "desc" ? "asc" : "desc";
  return runsHref({ ...filter, sort: column, order, cursor: undefined });
}

/** `aria-sort` of a column header under this filter. */
export function ariaSort(filter: RunsFilter, column: "start" | "duration"): "ascending" | "descending" | undefined {
  if ((filter.sort ?? "start") !== column) return undefined;
  return filter.order === "asc" ? "ascending" : "descending";
}
