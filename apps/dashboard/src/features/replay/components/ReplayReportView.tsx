"use client";

import Link from "next/link";
import { compareHref } from "../../compare/fns/align";
import { runHref } from "../../../shared/fns/routes";
import type { ReplayReport } from "../types";

const OUTCOME: Record<ReplayReport["outcome"], { icon: string; tone: string }> = {
  reproduced: { icon: "↻", tone: "ok" },
  completed: { icon: "✓", tone: "ok" },
  diverged: { icon: "≠", tone: "error" },
  failed: { icon: "✕", tone: "error" },
};

/** A replay's divergence report: outcome, summary, the first divergence, links to the new run. */
export function ReplayReportView({ report }: { report: ReplayReport }) {
  const look = OUTCOME[report.outcome];
  const first = report.first;
  return (
    <section className="replay-report" data-testid="replay-report" data-outcome={report.outcome} aria-live="polite">
      <p className="replay-outcome">
        <span className={`badge badge-${look.tone}`} data-testid="replay-outcome">
          <span aria-hidden="true">{look.icon} </span>
          {report.outcome}
        </span>{" "}
        <span className="muted">
          {report.mode} · {report.stats.hits} served · {report.stats.live} live · {report.divergences.length} divergence{report.divergences.length === 1 ? "" : "s"}
        </span>
      </p>
      <p data-testid="replay-summary">{report.summary}</p>
      {first === undefined ? null : (
        <div className="replay-first" data-testid="replay-first">
          <p>
            First divergence: <strong>{first.type}</strong> at <code>{first.key}</code>
          </p>
          <p>{first.message}</p>
          {first.inputDiff === undefined ? null : <pre className="json small">{JSON.stringify(first.inputDiff, null, 2)}</pre>}
          {first.outputDiff === undefined ? null : <pre className="json small">{JSON.stringify(first.outputDiff, null, 2)}</pre>}
        </div>
      )}
      <p className="replay-links">
        <Link href={runHref(report.replayRunId)} data-testid="replay-open">
          Open the replay run →
        </Link>{" "}
        <Link href={compareHref(report.runId, report.replayRunId)} data-testid="replay-compare">
          Compare with the original →
        </Link>
      </p>
    </section>
  );
}
