"use client";

import { useEffect, useState } from "react";
import { BOUNDARY_STEP_KINDS } from "@tracewright/instrument/conventions";
import { parseEditedState } from "../fns/request";
import type { ReplayReport } from "../types";
import { postReplay } from "./post-replay";
import { ReplayReportView } from "./ReplayReportView";


/**
 * Forks the run at this step: everything before it is served from the recording, the state
 * here is the edited one (a node's input, or a boundary's result), and every call after it runs
 * live. The original run is left untouched.
 */
export function ForkForm({ runId, stepKey, kind, input, output }: { runId: string; stepKey: string; kind: string; input?: { value: unknown }; output?: { value: unknown } }) {
  const boundary = BOUNDARY_STEP_KINDS.has(kind);
  // The state to edit, once it is in hand: a large one is not until it is loaded above, and a
  // fork from it must not start from an empty editor (it would patch the step with null).
  const state = boundary ? output : input;
  const initial = state?.value;
  const [text, setText] = useState(() => JSON.stringify(initial ?? null, null, 2));
  const [allowSideEffects, setAllowSideEffects] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ReplayReport | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setText(JSON.stringify(initial ?? null, null, 2));
    setReport(undefined);
    setError(undefined);
  }, [stepKey, initial]);

  const fork = (): void => {
    const parsed = parseEditedState(text);
    if (!parsed.ok) {
      // The last fork's report is not this state's: it goes with the refusal.
      setReport(undefined);
      setError(parsed.message);
      return;
    }
    setBusy(true);
    setError(undefined);
    setReport(undefined);
    void postReplay(runId, { mode: "fork", from: stepKey, state: parsed.value, ...(allowSideEffects ? { allowSideEffects: true } : {}) }).then((answer) => {
      setBusy(false);
      if ("report" in answer) setReport(answer.report);
      else setError(answer.error.message);
    });
  };

  return (
    <details className="fork" data-testid="fork-form">
      <summary>Fork from this step</summary>
      <p className="muted">
        Replays up to here from the recording, continues from this {boundary ? "result" : "state"} as edited below, and runs live after it. The original run is not changed.
      </p>
      {state === undefined ? (
        <p className="muted" data-testid="fork-needs-state">
          Load the {boundary ? "output" : "input"} state above to edit it here: it is too large to come with the page.
        </p>
      ) : (
        <label className="fork-editor">
          <span>{boundary ? "Result to serve here" : "Input state"} (JSON)</span>
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={Math.min(18, text.split("\n").length + 1)} spellCheck={false} data-testid="fork-state" />
        </label>
      )}
      <label>
        <input type="checkbox" checked={allowSideEffects} onChange={(e) => setAllowSideEffects(e.target.checked)} /> Let side-effecting tools run live
      </label>
      <p>
        <button type="button" onClick={fork} disabled={busy || state === undefined} data-testid="fork-submit">
          {busy ? "Forking…" : "Fork"}
        </button>
      </p>
      {error === undefined ? null : (
        <p className="error-message" role="alert" data-testid="fork-error">
          {error}
        </p>
      )}
      {report === undefined ? null : <ReplayReportView report={report} />}
    </details>
  );
}
