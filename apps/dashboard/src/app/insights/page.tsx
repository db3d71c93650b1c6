import type { Metadata } from "next";
import Link from "next/link";
import { DEFAULT_MAX_SPAN_HEADERS, INSIGHTS_MAX_ROWS } from "@tracewright/store/cloudwatch";
import { InsightsCharts } from "../../features/insights/components/InsightsCharts";
import { loadInsights } from "../../features/insights/server/load-insights";
import { TIME_RANGES } from "../../features/runs/fns/query";
import { EmptyState, RecordARun } from "../../shared/components/EmptyState";
import { formatCount } from "../../shared/fns/format";
import { firstParam } from "../../shared/fns/search-params";
import type { SearchParams } from "../../shared/fns/search-params";

export const metadata: Metadata = { title: "Insights · Tracewright" };

/** `/insights?range=`: runs over time by status, error rate, tokens, latency percentiles; aggregated by the store. */
export default async function InsightsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const rangeText = firstParam(await searchParams, "range");
  const range = TIME_RANGES.find((r) => r.value === rangeText)?.value;
  const view = await loadInsights(range);
  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Insights</h1>
        <p className="muted">Runs, errors, tokens and latency, aggregated by the trace store.</p>
      </div>
      <nav className="segmented" aria-label="Time range">
        <Link href="/insights" aria-current={range === undefined ? "page" : undefined}>
          All time
        </Link>
        {TIME_RANGES.map((r) => (
          <Link key={r.value} href={`/insights?range=${r.value}`} aria-current={range === r.value ? "page" : undefined}>
            {r.label}
          </Link>
        ))}
      </nav>
      {view.state === "absent" ? (
        <EmptyState title="No runs recorded yet" reason="no-store">
          <RecordARun />
        </EmptyState>
      ) : view.data.totals.runs === 0 ? (
        <EmptyState title="No runs in this range" reason="no-runs">
          <p>
            <Link href="/insights">Show all time</Link>.
          </p>
        </EmptyState>
      ) : (
        <>
          <p className="insights-totals" data-testid="insights-totals">
            <strong>{formatCount(view.data.totals.runs)}</strong> runs · <strong>{formatCount(view.data.totals.errors)}</strong> failed ({Math.round((view.data.totals.errors / view.data.totals.runs) * 100)}%) · <strong>{formatCount(view.data.totals.inputTokens)}</strong> input tokens · <strong>{formatCount(view.data.totals.outputTokens)}</strong> output tokens
          </p>
          {view.data.replays === 0 ? null : (
            <p className="muted small" data-testid="insights-replays">
              {formatCount(view.data.replays)} {view.data.replays === 1 ? "replay" : "replays"} in this range not counted: a replay&apos;s served calls take no time and repeat the recorded run&apos;s tokens.
            </p>
          )}
          {view.source.kind === "cloudwatch" ? (
            <p className="muted small" data-testid="insights-scope">
              From CloudWatch Logs: the span headers in <code>{view.source.logGroup}</code> of the last 30 days, at most {DEFAULT_MAX_SPAN_HEADERS.toLocaleString("en-US")} spans, read {INSIGHTS_MAX_ROWS.toLocaleString("en-US")} a query (Logs Insights&apos; row limit).
            </p>
          ) : null}
          <InsightsCharts data={view.data} />
        </>
      )}
    </main>
  );
}
