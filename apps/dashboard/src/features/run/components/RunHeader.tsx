import Link from "next/link";
import type { ReactNode } from "react";
import type { RunSummary } from "@tracewright/store";
import { ReplayControl } from "../../replay/components/ReplayControl";
import { StatusBadge } from "../../../shared/components/StatusBadge";
import { formatCount, formatDuration, formatTimestamp, formatTokens } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";

/**
 * A run's identity and totals, and its actions: replay it (reproduce, verify a fix; forking is
 * offered on each step) and compare it with another run.
 */
export function RunHeader({ run, compare, offer }: { run: RunSummary; compare?: ReactNode; offer: { readonly agents: readonly string[]; readonly fixes: readonly string[] } }) {
  return (
    <header className="run-header" data-testid="run-header">
      <p className="crumbs">
        <Link href="/">← All runs</Link>
      </p>
      <div className="run-title">
        <h1>{run.agent === "" ? "Run" : run.agent}</h1>
        <StatusBadge status={run.status} testId="run-status" />
        <div className="run-actions" data-testid="run-actions">
          <ReplayControl runId={run.runId} disabled={run.status === "running"} replayable={offer.agents.includes(run.agent)} agent={run.agent} fixNames={offer.fixes} />
          {compare}
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Run id</dt>
          <dd className="mono" data-testid="run-id">
            {run.runId}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <time dateTime={run.startTime}>{formatTimestamp(run.startTime, { millis: true })}</time>
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(run.durationMs)}</dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd>{formatCount(run.steps)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd className={run.errors > 0 ? "errors" : undefined}>{formatCount(run.errors)}</dd>
        </div>
        {run.inputTokens + run.outputTokens === 0 ? null : (
          <div>
            <dt>Tokens</dt>
            <dd data-testid="run-tokens">{formatTokens(run.inputTokens, run.outputTokens)}</dd>
          </div>
        )}
        {run.traceId === run.runId ? null : (
          <div>
            <dt>Trace id</dt>
            <dd className="mono">{run.traceId}</dd>
          </div>
        )}
        {run.replayOf === undefined ? null : (
          <div>
            <dt>Replay of</dt>
            <dd>
              <Link href={runHref(run.replayOf)} className="mono" data-testid="replay-of">
                {run.replayOf}
              </Link>
            </dd>
          </div>
        )}
      </dl>
    </header>
  );
}
