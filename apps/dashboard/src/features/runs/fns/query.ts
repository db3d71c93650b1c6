import type { RunStatus } from "@tracewright/store";
import { firstParam, withQuery } from "../../../shared/fns/search-params";
import type { SearchParams } from "../../../shared/fns/search-params";
import type { RunsFilter } from "../types";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The run statuses, in the order the filter offers them. */
export const RUN_STATUSES: readonly RunStatus[] = ["error", "ok", "running"];

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

/** Reads `?status=&agent=&cursor=&limit=`; anything malformed is ignored rather than an error. */
export function parseRunsParams(params: SearchParams): RunsFilter {
  const status = parseStatus(firstParam(params, "status"));
  const agent = firstParam(params, "agent")?.trim();
  const cursor = firstParam(params, "cursor");
  const limitText = firstParam(params, "limit");
  const limit = limitText !== undefined && /^\d+$/.test(limitText) ? Number(limitText) : DEFAULT_PAGE_SIZE;
  return {
    ...(status === undefined ? {} : { status }),
    ...(agent === undefined || agent === "" ? {} : { agent }),
    ...(cursor === undefined ? {} : { cursor }),
    limit: Math.min(MAX_PAGE_SIZE, Math.max(1, limit)),
  };
}

/** The runs page for a filter: always the first page unless a cursor is given. */
export function runsHref(filter: Partial<RunsFilter>): string {
  return withQuery("/", [
    ["status", filter.status],
    ["agent", filter.agent],
    ["limit", filter.limit === undefined || filter.limit === DEFAULT_PAGE_SIZE ? undefined : String(filter.limit)],
    ["cursor", filter.cursor],
  ]);
}
