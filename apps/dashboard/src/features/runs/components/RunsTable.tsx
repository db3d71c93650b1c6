import Link from "next/link";
import type { RunSummary } from "@tracewright/store";
import { StatusBadge } from "../../../shared/components/StatusBadge";
import { formatCount, formatDuration, formatTimestamp, formatTokens, shortId } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import { ariaSort, runsHref, sortHref } from "../fns/query";
import type { RunsFilter } from "../types";

/** A sortable column's header: a link that sorts by it, the current direction shown by an arrow. */
function SortLink({ filter, column, label }: { filter: RunsFilter; column: "start" | "duration"; label: string }) {
  const sorted = ariaSort(filter, column);
  return (
    <Link href={sortHref(filter, column)} className="sort-link" data-testid={`sort-${column}`} data-sorted={sorted}>
      {label}
      <span aria-hidden="true">{sorted === "descending" ? " ↓" : sorted === "ascending" ? " ↑" : " ↕"}</span>
    </Link>
  );
}

/** The run list: one row per run, newest first. Every recorded value is rendered as text. */
export function RunsTable({ runs, filter }: { runs: readonly RunSummary[]; filter: RunsFilter }) {
  return (
    <div className="table-wrap">
      <table className="runs-table" data-testid="runs-table">
        <caption className="visually-hidden">Runs</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Run</th>
            <th scope="col" aria-sort={ariaSort(filter, "start")}>
              <SortLink filter={filter} column="start" label="Started" />
            </th>
            <th scope="col" className="num" aria-sort={ariaSort(filter, "duration")}>
              <SortLink filter={filter} column="duration" label="Duration" />
            </th>
            <th scope="col" className="num">
              Steps
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.runId} data-testid="run-row" data-status={run.status} data-run-id={run.runId} data-agent={run.agent} data-duration-ms={run.durationMs} data-start={run.startTime}>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td className="agent">
                {run.agent === "" ? (
                  <span className="muted">unknown</span>
                ) : (
                  <Link href={runsHref({ ...filter, agent: run.agent, cursor: undefined })} title={`Only runs of ${run.agent}`} className="quiet-link">
                    {run.agent}
                  </Link>
                )}
              </td>
              <td>
                <Link href={runHref(run.runId)} className="run-link mono" title={run.runId} data-testid="run-link">
                  {shortId(run.runId)}
                </Link>
                {run.replayOf === undefined ? null : (
                  <span className="replay-tag" title={`Replay of ${run.replayOf}`}>
                    ↻ replay of <span className="mono">{shortId(run.replayOf)}</span>
                  </span>
                )}
              </td>
              <td>
                <time dateTime={run.startTime}>{formatTimestamp(run.startTime)}</time>
              </td>
              <td className="num">{run.status === "running" && run.durationMs === 0 ? "—" : formatDuration(run.durationMs)}</td>
              <td className="num">{formatCount(run.steps)}</td>
              <td className={run.errors > 0 ? "num errors" : "num muted"}>{formatCount(run.errors)}</td>
              {run.inputTokens + run.outputTokens === 0 ? (
                <td className="num muted" data-testid="run-tokens">
                  —
                </td>
              ) : (
                <td className="num" title={`${formatTokens(run.inputTokens, run.outputTokens)} (tokens)`} data-testid="run-tokens">
                  {formatCount(run.inputTokens + run.outputTokens)}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
