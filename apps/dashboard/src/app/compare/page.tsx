import type { Metadata } from "next";
import Link from "next/link";
import type { RunSummary } from "@tracewright/store";
import { CompareTable } from "../../features/compare/components/CompareTable";
import { compareHref } from "../../features/compare/fns/align";
import { loadComparison } from "../../features/compare/server/load-compare";
import { EmptyState } from "../../shared/components/EmptyState";
import { StatusBadge } from "../../shared/components/StatusBadge";
import { formatCount, formatDuration, formatTimestamp } from "../../shared/fns/format";
import { runHref } from "../../shared/fns/routes";
import { firstParam } from "../../shared/fns/search-params";
import type { SearchParams } from "../../shared/fns/search-params";

export const metadata: Metadata = { title: "Compare runs · Tracewright" };

function RunCard({ label, run }: { label: string; run: RunSummary }) {
  return (
    <div className="panel compare-card" data-testid={`compare-run-${label.toLowerCase()}`}>
      <p className="muted small">Run {label}</p>
      <p>
        <Link href={runHref(run.runId)} className="mono">
          {run.runId}
        </Link>{" "}
        <StatusBadge status={run.status} />
      </p>
      <p className="muted small">
        {run.agent} · {formatTimestamp(run.startTime)} · {formatDuration(run.durationMs)} · {formatCount(run.steps)} steps · {formatCount(run.errors)} errors
      </p>
    </div>
  );
}

/** `/compare?a=RUN_ID&b=RUN_ID`: two runs' steps aligned by step key, the first divergence marked. */
export default async function ComparePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const view = await loadComparison(firstParam(params, "a"), firstParam(params, "b"));
  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Compare runs</h1>
        <p className="muted">Steps aligned by step key. The first divergence is the first step, in canonical order, present in one run only or with another input hash — or, for a step without children, another output.</p>
      </div>
      {view.state === "missing-params" ? (
        <EmptyState title="Pick two runs" reason="missing-params">
          <p>
            Open a run and use <strong>Compare with</strong>, or give both ids: <code>/compare?a=RUN_ID&amp;b=RUN_ID</code>.
          </p>
        </EmptyState>
      ) : view.state === "not-found" ? (
        <EmptyState title="Run not found" reason="not-found">
          <p>
            The trace store has no run {view.missing.map((id, i) => (
              <span key={id}>
                {i > 0 ? " or " : ""}
                <code>{id}</code>
              </span>
            ))}
            . <Link href="/">See every run</Link>.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="compare-head">
            <RunCard label="A" run={view.a.run} />
            <RunCard label="B" run={view.b.run} />
          </div>
          <p className="compare-summary" data-testid="compare-summary">
            {view.comparison.rootInputsDiffer ? <span data-testid="compare-inputs-differ">The runs were given different inputs. </span> : null}
            {view.comparison.firstDivergence === -1 ? (
              <span>No divergence: the same steps with the same inputs and outputs.</span>
            ) : (
              <a href="#first-divergence">
                First divergence at <code>{view.comparison.rows[view.comparison.firstDivergence]?.key}</code>
              </a>
            )}{" "}
            <span className="muted">
              · {view.comparison.counts.same} same · {view.comparison.counts.changed} changed · {view.comparison.counts.onlyA} only in A · {view.comparison.counts.onlyB} only in B ·{" "}
              <Link href={compareHref(view.b.run.runId, view.a.run.runId)}>swap</Link>
            </span>
          </p>
          <CompareTable a={view.a.run} b={view.b.run} comparison={view.comparison} />
        </>
      )}
    </main>
  );
}
