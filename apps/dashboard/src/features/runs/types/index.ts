import type { RunSort, RunStatus, RunSummary } from "@tracewright/store";

/** The time ranges the run list offers, as `?range=` spells them. */
export type TimeRange = "15m" | "1h" | "24h" | "7d";

/** The run list's filters, sort and position, as read from the query string. */
export interface RunsFilter {
  status?: RunStatus;
  agent?: string;
  /** Runs started within this long before now; absent for all time. */
  range?: TimeRange;
  /** Minimum duration in milliseconds. */
  minMs?: number;
  /** `yes`: only runs with a failed step; `no`: only runs without. */
  errors?: "yes" | "no";
  /** Text searched for in the steps' inputs, outputs and errors. */
  q?: string;
  /** Default: start, newest first. */
  sort?: RunSort;
  order?: "asc" | "desc";
  /** The store's opaque cursor: the page after the one that returned it. */
  cursor?: string;
  limit: number;
}

/** What the runs page renders. */
export type RunsView =
  | { readonly state: "absent"; readonly path: string }
  | { readonly state: "bad-cursor"; readonly agents: readonly string[]; readonly textSearch: boolean }
  /** The source cannot answer one of the filters (CloudWatch Logs: text search); `message` says which. */
  | { readonly state: "unsupported"; readonly message: string; readonly agents: readonly string[]; readonly textSearch: boolean }
  /** The store refused a filter's value; `message` names it. */
  | { readonly state: "bad-query"; readonly message: string; readonly agents: readonly string[]; readonly textSearch: boolean }
  | {
      readonly state: "ready";
      readonly runs: readonly RunSummary[];
      readonly nextCursor?: string;
      readonly agents: readonly string[];
      readonly elapsedMs: number;
      /** Whether the source searches recorded text (`q`). */
      readonly textSearch: boolean;
    };
