import type { Metadata } from "next";
import Link from "next/link";
import { LiveRefresh } from "../features/run/components/LiveRefresh";
import { Pager } from "../features/runs/components/Pager";
import { RunFilters } from "../features/runs/components/RunFilters";
import { RunsTable } from "../features/runs/components/RunsTable";
import { isFiltered, parseRunsParams, runsHref } from "../features/runs/fns/query";
import { loadRunsView } from "../features/runs/server/list-runs";
import { EmptyState, RecordARun } from "../shared/components/EmptyState";
import type { SearchParams } from "../shared/fns/search-params";

export const metadata: Metadata = { title: "Runs · Tracewright" };

/**
 * `/`: the runs, newest first or sorted by `?sort=&order=`, filtered by status, agent, time
 * range, minimum duration, errors and text (all applied by the store), paged by `?cursor=`.
 */
export default async function RunsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const filter = parseRunsParams(await searchParams);
  const view = await loadRunsView(filter);
  const filtered = isFiltered(filter);

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Runs</h1>
        <p className="muted">Every recorded agent run, newest first.</p>
      </div>

      {view.state === "absent" ? (
        <EmptyState title="No runs recorded yet" reason="no-store">
          <p>
            There is no trace store at <code>{view.path}</code> yet.
          </p>
          <RecordARun />
          <p className="muted small">
            The dashboard reads <code>TRACEWRIGHT_DB</code>, else <code>.tracewright/traces.db</code> at the repository root.
          </p>
        </EmptyState>
      ) : (
        <>
          <RunFilters filter={filter} agents={view.agents} textSearch={view.textSearch} />
          {view.state === "unsupported" ? (
            <EmptyState title="This source cannot answer that filter" reason="unsupported">
              <p data-testid="unsupported-message">{view.message}</p>
              <p>
                <Link href={runsHref({ ...filter, q: undefined, cursor: undefined })}>Show these runs without the text filter</Link>, or point the dashboard at the local store (unset <code>TRACEWRIGHT_SOURCE</code>) to search recorded text.
              </p>
            </EmptyState>
          ) : view.state === "bad-query" ? (
            <EmptyState title="The store refused that filter" reason="bad-query">
              <p data-testid="bad-query-message">{view.message}</p>
              <p>
                <Link href="/">Clear the filters</Link>.
              </p>
            </EmptyState>
          ) : view.state === "bad-cursor" ? (
            <EmptyState title="That page of runs no longer exists" reason="bad-cursor">
              <p>
                The <code>cursor</code> in the address is not one this dashboard handed out. <Link href={runsHref({ ...filter, cursor: undefined })}>Start from the newest runs</Link>.
              </p>
            </EmptyState>
          ) : view.runs.length === 0 ? (
            filtered || filter.cursor !== undefined ? (
              <EmptyState title="No runs match" reason="no-matches">
                <p>
                  Nothing recorded matches these filters. <Link href="/">Show every run</Link>.
                </p>
              </EmptyState>
            ) : (
              <EmptyState title="No runs recorded yet" reason="no-runs">
                <p>The trace store is there but holds no runs.</p>
                <RecordARun />
              </EmptyState>
            )
          ) : (
            <>
              {view.runs.some((run) => run.status === "running") ? <LiveRefresh until="no run listed here is running" version={view.runs.map((run) => `${run.runId}:${run.status}:${run.steps}:${run.durationMs}`).join(" ")} /> : null}
              <RunsTable runs={view.runs} filter={filter} />
              <Pager filter={filter} nextCursor={view.nextCursor} />
              <p className="muted small" data-testid="query-time">
                {view.runs.length} runs shown · queried in {view.elapsedMs.toFixed(1)} ms
              </p>
            </>
          )}
        </>
      )}
    </main>
  );
}
