import type { ReplayReport } from "@tracewright/replay";

export type { ReplayReport };

/** What the replay form posts to `POST /api/runs/RUN_ID/replay`. */
export interface ReplayRequest {
  mode: "reproduce" | "verify-fix" | "fork";
  /** Fork: the step key to fork from. */
  from?: string;
  /** Fork: the edited state at `from` (a node's input, or a boundary's output), replacing it whole. */
  state?: unknown;
  /** Named fixes for the agent's entry point (e.g. `agent_bug`). */
  fixes?: string[];
  /** Verify-fix: stop at the first divergence instead of going live. */
  stop?: boolean;
  allowSideEffects?: boolean;
}

/** The route's answer: the report, or an error that says what to do. */
export type ReplayResponse = { report: ReplayReport } | { error: { code: string; message: string } };
