import Link from "next/link";
import { DEFAULT_PAGE_SIZE, isFiltered, RUN_STATUSES, runsHref, TIME_RANGES } from "../fns/query";
import type { RunsFilter } from "../types";

const STATUS_LABELS: Record<string, string> = { error: "✕ error", ok: "✓ ok", running: "◔ running" };

/**
 * Status links, then a GET form for the other filters: plain links and a form, so they work
 * without JavaScript. Every filter is applied by the store, on the server.
 */
export function RunFilters({ filter, agents, textSearch = true }: { filter: RunsFilter; agents: readonly string[]; textSearch?: boolean }) {
  const keep = { ...filter, cursor: undefined };
  // An agent asked for by the address but not (or no longer) recorded still shows as chosen.
  const agentOptions = filter.agent !== undefined && !agents.includes(filter.agent) ? [filter.agent, ...agents] : agents;
  return (
    <div className="filters">
      <nav className="segmented" aria-label="Filter by status">
        <Link href={runsHref({ ...keep, status: undefined })} aria-current={filter.status === undefined ? "page" : undefined} data-testid="status-filter" data-value="all">
          All
        </Link>
        {RUN_STATUSES.map((status) => (
          <Link key={status} href={runsHref({ ...keep, status })} aria-current={filter.status === status ? "page" : undefined} data-testid="status-filter" data-value={status}>
            {STATUS_LABELS[status]}
          </Link>
        ))}
      </nav>
      {/* Keyed by the filter: a link that changes it (an agent's name, Clear filters) keeps this
          page mounted, and a select shows its defaultValue only when it is created — without the
          key, the dropdowns kept the old values and the next Apply brought them back. */}
      <form key={runsHref(keep)} className="run-filter-form" method="get" action="/" role="search" aria-label="Filter runs" data-testid="run-filter-form">
        {filter.status === undefined ? null : <input type="hidden" name="status" value={filter.status} />}
        {filter.limit === undefined || filter.limit === DEFAULT_PAGE_SIZE ? null : <input type="hidden" name="limit" value={filter.limit} />}
        {filter.sort === undefined ? null : <input type="hidden" name="sort" value={filter.sort} />}
        {filter.order === undefined ? null : <input type="hidden" name="order" value={filter.order} />}
        <label>
          <span>Agent</span>
          <select name="agent" defaultValue={filter.agent ?? ""} data-testid="agent-filter">
            <option value="">any agent</option>
            {agentOptions.map((agent) => (
              <option key={agent} value={agent}>
                {agent}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Started</span>
          <select name="range" defaultValue={filter.range ?? ""} data-testid="range-filter">
            <option value="">any time</option>
            {TIME_RANGES.map((range) => (
              <option key={range.value} value={range.value}>
                {range.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Min duration (ms)</span>
          <input name="min" type="number" min={0} step={1} inputMode="numeric" defaultValue={filter.minMs ?? ""} placeholder="0" className="num-input" data-testid="min-filter" />
        </label>
        <label>
          <span>Errors</span>
          <select name="errors" defaultValue={filter.errors ?? ""} data-testid="errors-filter">
            <option value="">any</option>
            <option value="yes">has errors</option>
            <option value="no">no errors</option>
          </select>
        </label>
        <label className="grow">
          <span>Text in inputs and outputs</span>
          {textSearch ? (
            <input name="q" type="search" defaultValue={filter.q ?? ""} placeholder="e.g. 503, doc://pricing, a run id" title="Searches the first 64 KB of every step's input, output and error, and run ids by their start" autoComplete="off" spellCheck={false} data-testid="text-filter" />
          ) : (
            <input type="search" disabled placeholder="not searchable in CloudWatch Logs: use the local store" aria-describedby="text-filter-note" data-testid="text-filter" />
          )}
          {textSearch ? null : (
            <span id="text-filter-note" className="visually-hidden">
              Text search needs the local store; this dashboard reads CloudWatch Logs.
            </span>
          )}
        </label>
        <button type="submit" data-testid="apply-filters">
          Apply
        </button>
        {isFiltered(filter) ? (
          <Link href={runsHref({ sort: filter.sort, order: filter.order, limit: filter.limit })} className="clear">
            Clear filters
          </Link>
        ) : null}
      </form>
    </div>
  );
}
