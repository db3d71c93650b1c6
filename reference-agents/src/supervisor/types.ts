import type { FaultName } from "../faults.js";

/** The supervisor's workers, each run as a node of the same name. */
export const WORKERS = ["research", "analysis", "writer"] as const;
export type Worker = (typeof WORKERS)[number];

/** Where the supervisor sends the work next; `done` ends the loop. */
export type Route = Worker | "done";

export interface PlanStep {
  worker: Worker;
  task: string;
}

/** The planner's plan, parsed from its JSON reply. */
export interface Plan {
  objective: string;
  steps: PlanStep[];
  /** What `research` searches for. */
  searchQueries: string[];
  /** The dataset `analysis` computes over, e.g. `lambda-costs`. */
  dataset: string;
}

/** A document `research` read, and what it says in brief. */
export interface Finding {
  source: string;
  title: string;
  summary: string;
  /** The search query that surfaced it. */
  query: string;
}

export interface FunctionCost {
  name: string;
  costUsd: number;
  /** Share of the month's total, 0–1. */
  share: number;
}

/** What `analysis` computed over the cost dataset. */
export interface CostStats {
  dataset: string;
  /** The latest month in the dataset, `YYYY-MM`. */
  month: string;
  totalUsd: number;
  /** Change of the total against the month before, as a fraction (0.04 is +4%). */
  monthOverMonth: number;
  /** The most expensive functions of the month, most expensive first. */
  topFunctions: FunctionCost[];
  /** GB-seconds still billed at the x86_64 rate in the month. */
  x86GbSeconds: number;
  /** The month's duration saving had those GB-seconds run on arm64 instead. */
  armSavingsUsd: number;
}

export interface RouteDecision {
  next: Route;
  reason: string;
}

/** What the supervisor asks a human before it acts on a plan. */
export interface ApprovalRequest {
  question: string;
  plan: Plan;
}

/** The human's answer: approve, or reject with a reason. */
export interface ApprovalAnswer {
  approved: boolean;
  comment: string;
}

/** The state that flows into and out of every node: plain, JSON-serialisable data. */
export interface SupervisorState {
  goal: string;
  plan: Plan | null;
  /** The human's answer to the plan, when the run asked for one. */
  approval: ApprovalAnswer | null;
  findings: Finding[];
  stats: CostStats | null;
  draft: string | null;
  /** Every routing decision so far, in order. */
  routes: RouteDecision[];
}

/** The run's recorded input: everything needed to run it again. */
export interface SupervisorInput {
  goal: string;
  /** The scenario this run plays, when it plays one; a label only. */
  scenario?: string;
  /** The injected fault, when there is one. */
  fault?: FaultName;
  /** Ask a human to approve the plan before working on it. */
  approval?: boolean;
  /**
   * The id of the session to continue; without one, the run starts a session (its id a recorded
   * uuid). Not `sessionId`: redaction masks fields of that name, as web session ids are secrets.
   */
  session?: string;
}

/** Where a session stands after an invocation. */
export type SessionStatus = "awaiting_approval" | "done" | "failed";

/**
 * The supervisor's session, kept in the session store between invocations (each load and save
 * a recorded `state` step): which graph thread it is on, whether it waits for a human, and what
 * it produced so far.
 */
export interface SupervisorSession {
  /** The session's id: its key in the store. */
  id: string;
  /** The LangGraph thread of the goal in hand: what a resumed invocation continues. */
  threadId: string;
  status: SessionStatus;
  /** Supervisor invocations in this session so far, the saving one included. */
  invocations: number;
  goal: string;
  /** Set while the session waits for a human. */
  pending: ApprovalRequest | null;
  /** The reports of this session's goals, oldest first. */
  reports: { title: string; generatedAt: string; month: string }[];
  /** The last invocation's error, when it failed. */
  error: string | null;
}

/** What a successful run returns. */
export interface SupervisorReport {
  goal: string;
  /** The report's `#` heading. */
  title: string;
  /** When the report was produced (the run's recorded clock), ISO 8601. */
  generatedAt: string;
  /** The writer's draft followed by a generated-at line. */
  markdown: string;
  /** The `doc://` documents the report draws on, in the order they were read. */
  sources: string[];
  stats: CostStats;
  /** The routes taken, `done` last. */
  routes: Route[];
}
