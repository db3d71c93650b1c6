import Link from "next/link";
import { RUN_STATUSES, runsHref } from "../fns/query";
import type { RunsFilter } from "../types";

const STATUS_LABELS: Record<string, string> = { error: "✕ error", ok: "✓ ok", running: "◔ running" };

/** Status links and an agent box: plain links and a GET form, so they work without JavaScript. */
export function RunFilters({ filter }: { filter: RunsFilter }) {
  const base = { limit: filter.limit, ...(filter.agent === undefined ? {} : { agent: filter.agent }) };
  return (
    <div className="filters">
      <nav className="segmented" aria-label="Filter by status">
        <Link href={runsHref(base)} aria-current={filter.status === undefined ? "page" : undefined} data-testid="status-filter" data-value="all">
          All
        </Link>
        {RUN_STATUSES.map((status) => (
          <Link
            key={status}
            href={runsHref({ ...base, status })}
            aria-current={filter.status === status ? "page" : undefined}
            data-testid="status-filter"
            data-value={status}
          >
            {STATUS_LABELS[status]}
          </Link>
        ))}
      </nav>
      <form className="agent-filter" method="get" action="/" role="search">
        {filter.status === undefined ? null : <input type="hidden" name="status" value={filter.status} />}
        <label htmlFor="agent-filter">Agent</label>
        <input id="agent-filter" name="agent" type="search" defaultValue={filter.agent ?? ""} placeholder="any agent" autoComplete="off" spellCheck={false} />
        <button type="submit">Filter</button>
        {filter.agent === undefined ? null : (
          <Link href={runsHref({ limit: filter.limit, ...(filter.status === undefined ? {} : { status: filter.status }) })} className="clear">
            Clear agent
          </Link>
        )}
      </form>
    </div>
  );
}
