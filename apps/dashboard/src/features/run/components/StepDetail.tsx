import Link from "next/link";
import { StatusBadge } from "../../../shared/components/StatusBadge";
import { formatDuration, formatTimestamp } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import { stateText, stepFacts } from "../fns/state";
import { pathTo } from "../fns/tree";
import type { Selection, StepTree } from "../types";
import { StateBlock } from "./StateBlock";

/** The selected step: where it sits, its timing, its error, and its input and output states. */
export function StepDetail({ runId, tree, selection }: { runId: string; tree: StepTree; selection: Selection }) {
  const row = tree.rows[selection.index];
  if (row === undefined) {
    return (
      <section className="panel detail-panel" data-testid="step-detail">
        <p className="muted">This run has no steps.</p>
      </section>
    );
  }
  const { step } = row;
  const path = pathTo(tree.rows, row.index);
  const facts = stepFacts(step);
  return (
    <section className="panel detail-panel" data-testid="step-detail" data-step-key={step.key} aria-labelledby="detail-heading">
      {selection.missingKey === undefined ? null : (
        <p className="notice" role="status">
          This run has no step <code>{selection.missingKey}</code>; showing {row.step.status === "error" ? "where it failed" : "its root"} instead.
        </p>
      )}
      <nav className="step-path" aria-label="Step path">
        <ol>
          {path.map((p) => (
            <li key={p.index}>{p.index === row.index ? <span aria-current="location">{p.step.name}</span> : <Link href={runHref(runId, p.step.key)} scroll={false}>{p.step.name}</Link>}</li>
          ))}
        </ol>
      </nav>
      <div className="detail-title">
        <span className={`kind kind-${step.kind}`}>{step.kind}</span>
        <h2 id="detail-heading">{step.name}</h2>
        <StatusBadge status={step.status} testId="step-status" />
      </div>
      <dl className="facts facts-grid">
        <div className="wide">
          <dt>Key</dt>
          <dd className="mono" data-testid="step-key">
            {step.key}
          </dd>
        </div>
        <div className="span2">
          <dt>Started</dt>
          <dd>
            <time dateTime={step.startTime}>{formatTimestamp(step.startTime, { millis: true })}</time>
          </dd>
        </div>
        <div>
          <dt>Offset</dt>
          <dd>+{formatDuration(row.offsetMs)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(step.durationMs)}</dd>
        </div>
        <div>
          <dt>Children</dt>
          <dd>
            {row.childCount}
            {row.descendantCount > row.childCount ? <span className="muted"> · {row.descendantCount} in all</span> : null}
          </dd>
        </div>
        <div>
          <dt>Span id</dt>
          <dd className="mono">{step.spanId}</dd>
        </div>
        {facts.map((fact) => (
          <div key={fact.label}>
            <dt>{fact.label}</dt>
            <dd className="mono">{fact.value}</dd>
          </div>
        ))}
      </dl>

      {step.error === undefined ? null : (
        <section className="error-block" data-testid="step-error" aria-labelledby="error-heading">
          <h3 id="error-heading">
            <span aria-hidden="true">✕ </span>
            {row.failedBelow > 0 ? "Error (raised below)" : "Error"}
          </h3>
          <p className="error-line">
            <span className="error-type mono" data-testid="step-error-type">
              {step.error.type}
            </span>
            <span className="error-message" data-testid="step-error-message">
              {step.error.message}
            </span>
          </p>
          {step.error.stack === undefined ? null : (
            <pre className="stack" tabIndex={0}>
              {step.error.stack}
            </pre>
          )}
        </section>
      )}

      <StateBlock title="Input state" value={step.input} testId="step-input" />
      <StateBlock title="Output state" value={step.output} testId="step-output" />

      <details className="attributes">
        <summary>All span attributes</summary>
        <pre className="json" tabIndex={0}>
          {stateText(step.attributes).text}
        </pre>
      </details>
    </section>
  );
}
