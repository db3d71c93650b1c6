"use client";

import { useEffect, useState } from "react";
import type { ReplayReport, ReplayRequest } from "../types";
import { postReplay } from "./post-replay";
import { ReplayReportView } from "./ReplayReportView";

/** Replays the run from its header: reproduce it, or verify a fix against it. */
export function ReplayControl({ runId, disabled, replayable, agent, fixNames }: { runId: string; disabled: boolean; replayable: boolean; agent: string; fixNames: readonly string[] }) {
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [elapsed, setElapsed] = useState(0);
  const [report, setReport] = useState<ReplayReport | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [fixes, setFixes] = useState("");

  useEffect(() => {
    if (busy === undefined) return;
    const started = Date.now();
    const timer = setInterval(() => setElapsed(Math.round((Date.now() - started) / 1000)), 250);
    return () => clearInterval(timer);
  }, [busy]);

  const start = (request: ReplayRequest, label: string): void => {
    setBusy(label);
    setElapsed(0);
    setError(undefined);
    setReport(undefined);
    void postReplay(runId, request).then((answer) => {
      setBusy(undefined);
      if ("report" in answer) setReport(answer.report);
      else setError(answer.error.message);
    });
  };

  const fixList = fixes.split(",").map((f) => f.trim()).filter((f) => f !== "");
  const off = disabled || !replayable || busy !== undefined;
  return (
    <div className="replay-control" data-testid="replay-control">
      <div className="segmented" role="group" aria-label="Replay">
        <button type="button" disabled={off} onClick={() => start({ mode: "reproduce" }, "Reproducing")} data-testid="replay-reproduce" title="Re-run the agent with every model, tool, clock and random result served from this recording">
          ↻ Reproduce
        </button>
        <button type="button" disabled={off} onClick={() => start({ mode: "verify-fix", ...(fixList.length > 0 ? { fixes: fixList } : {}) }, "Verifying")} data-testid="replay-verify" title="Run the current code against this recording and report the first divergence">
          ✓ Verify fix
        </button>
      </div>
      {/* A run of an agent this dashboard has no entry point for: said before any click, not after. */}
      {replayable ? (
        <label className="replay-fixes">
          <span className="muted">Fixes</span>
          <input value={fixes} onChange={(e) => setFixes(e.target.value)} placeholder="e.g. agent_bug" aria-label="Named fixes for verify-fix, comma-separated" data-testid="replay-fixes" list="replay-fix-names" />
          <datalist id="replay-fix-names">
            {fixNames.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
      ) : (
        <p className="muted small" role="note" data-testid="replay-unavailable">
          This dashboard replays the reference agents only; replay a run of {agent === "" ? "this agent" : <code>{agent}</code>} from its own code (<code>replay()</code> with its entry point).
        </p>
      )}
      {busy === undefined ? null : (
        <p role="status" data-testid="replay-progress">
          {busy}… {elapsed} s
        </p>
      )}
      {error === undefined ? null : (
        <p className="error-message" role="alert" data-testid="replay-error">
          {error}
        </p>
      )}
      {report === undefined ? null : <ReplayReportView report={report} />}
    </div>
  );
}
