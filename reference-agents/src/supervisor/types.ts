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

/** The state that flows into and out of every node: plain, JSON-serialisable data. */
export interface SupervisorState {
  goal: string;
  plan: Plan | null;
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
