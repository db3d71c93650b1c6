import Link from "next/link";
import type { CSSProperties } from "react";
import type { RunSummary } from "@tracewright/store";
import { StatusIcon } from "../../../shared/components/StatusBadge";
import { formatDuration } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import type { AlignedStep, CompareSide, Comparison } from "../types";

/** Rows rendered at most; the first divergence is always among them. */
export const MAX_COMPARE_ROWS = 2000;

function Side({ side, runId, stepKey, other, diff }: { side: CompareSide | undefined; runId: string; stepKey: string; other: CompareSide | undefined; diff: AlignedStep["diff"] }) {
  if (side === undefined) return <td className="cmp-missing" colSpan={3}>— not in this run —</td>;
  return (
    <>
      <td>
        <span className="tree-main" style={{ "--depth": Math.min(side.depth, 24) } as CSSProperties}>
          <StatusIcon status={side.status} />
          <span className={`kind kind-${side.kind}`}>{side.kind}</span>
          <Link href={runHref(runId, stepKey)} className="step-name">
            {side.name}
          </Link>
          {side.error === undefined ? null : <span className="step-error-hint">{side.error}</span>}
        </span>
      </td>
      <td className={`num${diff.duration ? " cmp-changed" : ""}`}>{formatDuration(side.durationMs)}</td>
      <td className={`mono small${diff.input && other !== undefined ? " cmp-changed" : ""}`} title={side.inputHash}>
        {side.inputHash === undefined ? "—" : side.inputHash.slice(0, 10)}
      </td>
    </>
  );
}

/** The two runs side by side, step by step, the first divergence marked. */
export function CompareTable({ a, b, comparison }: { a: RunSummary; b: RunSummary; comparison: Comparison }) {
  const start = comparison.rows.length <= MAX_COMPARE_ROWS || comparison.firstDivergence < MAX_COMPARE_ROWS / 2 ? 0 : comparison.firstDivergence - MAX_COMPARE_ROWS / 2;
  const rows = comparison.rows.slice(start, start + MAX_COMPARE_ROWS);
  return (
    <div className="table-wrap">
      {rows.length < comparison.rows.length ? (
        <p className="notice">
          Showing steps {start + 1}–{start + rows.length} of {comparison.rows.length}, around the first divergence.
        </p>
      ) : null}
      <table className="runs-table compare-table" data-testid="compare-table">
        <caption className="visually-hidden">Steps of both runs aligned by step key</caption>
        <thead>
          <tr>
            <th scope="col">Differs</th>
            <th scope="col">Run A step</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col">Input hash</th>
            <th scope="col">Run B step</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col">Input hash</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const index = start + i;
            const first = index === comparison.firstDivergence;
            const marks = [r.diff.presence ? "presence" : "", r.diff.status ? "status" : "", r.diff.input ? "input" : "", r.diff.output ? "output" : "", r.diff.duration ? "duration" : ""].filter((m) => m !== "");
            return (
              <tr key={`${r.key}#${index}`} data-testid="compare-row" data-key={r.key} data-diff={marks.join(" ")} data-first-divergence={first ? "true" : undefined} className={first ? "first-divergence" : marks.length > 0 ? "cmp-row-changed" : undefined}>
                <td>
                  {first ? (
                    <strong className="divergence-tag" id="first-divergence">
                      ⚑ first divergence
                    </strong>
                  ) : null}
                  <span className="muted small">{marks.length === 0 ? "same" : marks.join(", ")}</span>
                </td>
                <Side side={r.a} runId={a.runId} stepKey={r.key} other={r.b} diff={r.diff} />
                <Side side={r.b} runId={b.runId} stepKey={r.key} other={r.a} diff={r.diff} />
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
