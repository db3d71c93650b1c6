import type { RunStatus, RunSummary } from "@tracewright/store";

/** The run list's filters and position, as read from the query string. */
export interface RunsFilter {
  status?: RunStatus;
  agent?: string;
  /** The store's opaque cursor: the page after the one that returned it. */
  cursor?: string;
  limit: number;
}

/** What the runs page renders. */
export type RunsView =
  | { readonly state: "absent"; readonly path: string }
  | { readonly state: "bad-cursor" }
  | { readonly state: "ready"; readonly runs: readonly RunSummary[]; readonly nextCursor?: string };
