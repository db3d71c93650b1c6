"use client";

import { useEffect, useMemo, useState } from "react";
import { StatusBadge } from "../../../shared/components/StatusBadge";
import { formatDuration, formatTimestamp } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import { stepUrl } from "../fns/detail";
import type { StatePayload, StepDetailData } from "../types";
import { ForkForm } from "../../replay/components/ForkForm";
import { conversationOf } from "../fns/chat";
import { ChatView } from "./ChatView";
import { DiffView } from "./DiffView";
import { fetchState, StateView } from "./StateView";

export interface PathEntry {
  readonly index: number;
  readonly key: string;
  readonly name: string;
}

export interface StepPlace {
  /** Root to this step, inclusive. */
  readonly path: readonly PathEntry[];
  readonly offsetMs: number;
  readonly childCount: number;
  /** The step failed because a step below it did. */
  readonly raisedBelow: boolean;
  /** Where, when `raisedBelow`: the first step below this one that failed with an error of its own. */
  readonly raisedAt?: PathEntry;
  /** The node that ran before this one under the same parent, if any. */
  readonly previousNode?: { readonly spanId: string; readonly name: string };
}

/** A state's value once it is in hand (inline, or loaded); undefined while it is not. */
function valueOf(state: StatePayload): { value: unknown } | undefined {
  if (state.kind === "json") return { value: state.value };
  if (state.kind === "text") return { value: state.text };
  return undefined;
}

/**
 * The selected step: where it sits, its timing, model and tokens, its error with the stack, a
 * model call's conversation, its input and output states in JSON viewers, and what changed
 * (input → output, and since the previous node). Recorded data is rendered as text only.
 * Rendered keyed by the step's span id, so nothing of the last step shown (its diff, a
 * previous-node fetch still in flight) reaches the next.
 */
export function StepDetailView({ runId, detail, place, missingKey, onSelect }: { runId: string; detail: StepDetailData; place: StepPlace; missingKey?: string; onSelect?: (index: number) => void }) {
  const [input, setInput] = useState(() => valueOf(detail.input));
  const [output, setOutput] = useState(() => valueOf(detail.output));
  const [diffMode, setDiffMode] = useState<"io" | "previous">("io");
  const [previous, setPrevious] = useState<{ spanId: string; value?: unknown; error?: string } | undefined>(undefined);
  useEffect(() => {
    setInput(valueOf(detail.input));
    setOutput(valueOf(detail.output));
    setDiffMode("io");
  }, [detail]);

  // A model call's request and answer, read as a conversation when they are in a shape read so (fns/chat.ts).
  const conversation = useMemo(() => (detail.kind === "llm" && input !== undefined ? conversationOf(input.value, output?.value) : undefined), [detail.kind, input, output]);

  const comparePrevious = (): void => {
    setDiffMode("previous");
    const prev = place.previousNode;
    if (prev === undefined || previous?.spanId === prev.spanId) return;
    setPrevious({ spanId: prev.spanId });
    fetch(stepUrl(runId, prev.spanId))
      .then(async (response) => {
        if (!response.ok) throw new Error(`The server answered ${response.status}.`);
        const data = (await response.json()) as StepDetailData;
        const loaded = data.output.kind === "large" ? await fetchState(data.output.url) : data.output;
        setPrevious({ spanId: prev.spanId, value: loaded.kind === "json" ? loaded.value : loaded.kind === "text" ? loaded.text : null });
      })
      .catch((error: unknown) => setPrevious({ spanId: prev.spanId, error: error instanceof Error ? error.message : String(error) }));
  };

  return (
    <section className="panel detail-panel" data-testid="step-detail" data-step-key={detail.key} aria-labelledby="detail-heading">
      {missingKey === undefined ? null : (
        <p className="notice" role="status">
          This run has no step <code>{missingKey}</code>; showing {detail.status === "error" ? "where it failed" : "its root"} instead.
        </p>
      )}
      <nav className="step-path" aria-label="Step path">
        <ol>
          {place.path.map((p, i) =>
            i === place.path.length - 1 ? (
              <li key={p.index}>
                <span aria-current="location">{p.name}</span>
              </li>
            ) : (
              <li key={p.index}>
                <StepLink runId={runId} step={p} onSelect={onSelect} />
              </li>
            ),
          )}
        </ol>
      </nav>
      <div className="detail-title">
        <span className={`kind kind-${detail.kind}`}>{detail.kind}</span>
        <h2 id="detail-heading">{detail.name}</h2>
        <StatusBadge status={detail.status} testId="step-status" />
      </div>
      <dl className="facts facts-grid" data-testid="step-facts">
        <div className="wide">
          <dt>Key</dt>
          <dd className="mono" data-testid="step-key">
            {place.path[place.path.length - 1]?.key ?? detail.key}
          </dd>
        </div>
        <div className="span2">
          <dt>Started</dt>
          <dd>
            <time dateTime={detail.startTime}>{formatTimestamp(detail.startTime, { millis: true })}</time>
          </dd>
        </div>
        <div>
          <dt>Offset</dt>
          <dd data-testid="step-offset">+{formatDuration(place.offsetMs)}</dd>
        </div>
        <div>
          <dt>Latency</dt>
          <dd data-testid="step-latency">{formatDuration(detail.durationMs)}</dd>
        </div>
        <div>
          <dt>Children</dt>
          <dd>{place.childCount}</dd>
        </div>
        <div>
          <dt>Span id</dt>
          <dd className="mono">{detail.spanId}</dd>
        </div>
        {detail.facts.map((fact) => (
          <div key={fact.label} data-fact={fact.label}>
            <dt>{fact.label}</dt>
            <dd className="mono">{fact.value}</dd>
          </div>
        ))}
      </dl>

      {detail.error === undefined ? null : (
        <section className="error-block" data-testid="step-error" aria-labelledby="error-heading">
          <h3 id="error-heading">
            <span aria-hidden="true">✕ </span>
            {!place.raisedBelow ? (
              "Error"
            ) : place.raisedAt === undefined ? (
              "Error (raised below)"
            ) : (
              <>
                Error (raised below, by <StepLink runId={runId} step={place.raisedAt} onSelect={onSelect} testId="step-error-raised-at" />)
              </>
            )}
          </h3>
          <p className="error-line">
            <span className="error-type mono" data-testid="step-error-type">
              {detail.error.type}
            </span>
            <span className="error-message" data-testid="step-error-message">
              {detail.error.message}
            </span>
          </p>
          {detail.error.stack === undefined ? null : (
            <pre className="stack" tabIndex={0} data-testid="step-error-stack">
              {detail.error.stack}
            </pre>
          )}
        </section>
      )}

      {conversation === undefined ? null : <ChatView conversation={conversation} />}

      <StateView key={`${detail.spanId}-in`} title="Input state" state={detail.input} testId="step-input" onLoaded={(s) => setInput(valueOf(s))} />
      <StateView key={`${detail.spanId}-out`} title="Output state" state={detail.output} testId="step-output" onLoaded={(s) => setOutput(valueOf(s))} />

      {/* A state's change is a node's or an agent's: a model or tool call's input and output are a request and its answer, whose diff is all removal and addition. */}
      {detail.kind !== "node" && detail.kind !== "agent" ? null : (
        <section className="state" aria-labelledby="changes-heading">
          <h3 id="changes-heading">What changed</h3>
          <div className="segmented small-tabs" role="group" aria-label="Compare">
            <button type="button" aria-pressed={diffMode === "io"} onClick={() => setDiffMode("io")} data-testid="diff-io">
              Input → output
            </button>
            {place.previousNode === undefined ? null : (
              <button type="button" aria-pressed={diffMode === "previous"} onClick={comparePrevious} data-testid="diff-previous">
                Previous node ({place.previousNode.name}) → this input
              </button>
            )}
          </div>
          {diffMode === "io" ? (
            input === undefined || output === undefined ? (
              <p className="muted">Load both states to compare them.</p>
            ) : (
              <DiffView before={input.value} after={output.value} testId="step-diff" empty="The output equals the input." />
            )
          ) : previous === undefined || (previous.value === undefined && previous.error === undefined) ? (
            <p className="muted">Loading the previous node…</p>
          ) : previous.error !== undefined ? (
            <p className="error-message" role="alert">
              {previous.error}
            </p>
          ) : input === undefined ? (
            <p className="muted">Load the input state to compare it.</p>
          ) : (
            <DiffView before={previous.value} after={input.value} testId="step-diff" empty="This node starts from the state the previous node left." />
          )}
        </section>
      )}

      <ForkForm runId={runId} stepKey={place.path[place.path.length - 1]?.key ?? detail.key} kind={detail.kind} {...(input === undefined ? {} : { input })} {...(output === undefined ? {} : { output })} />

      <details className="attributes">
        <summary>All span attributes</summary>
        <StateView key={`${detail.spanId}-attrs`} title="Span attributes" state={detail.attributes} testId="step-attributes" />
      </details>
    </section>
  );
}

/** A link to another step of the run: its address, and in the run page a selection without a navigation. */
function StepLink({ runId, step, onSelect, testId }: { runId: string; step: PathEntry; onSelect: ((index: number) => void) | undefined; testId?: string }) {
  return (
    <a
      href={runHref(runId, step.key)}
      data-testid={testId}
      onClick={(e) => {
        if (onSelect === undefined) return;
        e.preventDefault();
        onSelect(step.index);
      }}
    >
      {step.name}
    </a>
  );
}
