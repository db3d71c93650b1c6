import Link from "next/link";
import type { RunSummary } from "@tracewright/store";
import { StatusBadge } from "../../../shared/components/StatusBadge";
import { formatDuration, formatTimestamp, shortId } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import { runsHref } from "../fns/query";
import type { RunsFilter } from "../types";

/** The run list: one row per run, newest first. Every recorded value is rendered as text. */
export function RunsTable({ runs, filter }: { runs: readonly RunSummary[]; filter: RunsFilter }) {
  return (
    <div className="table-wrap">
      <table className="runs-table" data-testid="runs-table">
        <caption className="visually-hidden">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Run</th>
            <th scope="col">Started</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="num">
              Steps
            </th>
            <th scope="col" className="num">
              Errors
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.runId} data-testid="run-row" data-status={run.status} data-run-id={run.runId}>
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
              <td className="num">{run.steps}</td>
              <td className={run.errors > 0 ? "num errors" : "num muted"}>{run.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
