import type { Step } from "@tracewright/store";

/** One row of the step tree: a step with what the tree view needs to draw it. */
export interface StepRow {
  /** Position in canonical order, which is also the row order. */
  readonly index: number;
  readonly step: Step;
  /** The parent's index, or -1 for a root. */
  readonly parentIndex: number;
  readonly depth: number;
  readonly childCount: number;
  readonly descendantCount: number;
  /** Failed steps strictly below this one. */
  readonly failedBelow: number;
  /** Milliseconds from the start of the run's time window. */
  readonly offsetMs: number;
  /** Where the step's bar starts and how wide it is, in percent of the run's time window. */
  readonly offsetPct: number;
  readonly widthPct: number;
}

/** A run's steps laid out for display. */
export interface StepTree {
  readonly rows: readonly StepRow[];
  /** The run's time window: its start (epoch ms) and length, stretched to hold every step. */
  readonly startMs: number;
  readonly durationMs: number;
}

/** Which step the detail pane shows, and whether the one asked for was found. */
export interface Selection {
  /** Index into the rows, or -1 for a run without steps. */
  readonly index: number;
  /** A `?step=` key that names no step of this run. */
  readonly missingKey?: string;
}

/** A labelled fact about a step, read from its attributes (model, tokens, …). */
export interface StepFact {
  readonly label: string;
  readonly value: string;
}

/**
 * One tree row as the client list receives it: only what it draws, so that a run of 20,000
 * steps stays a small payload. Built on the server by `toTreeItems`.
 */
export interface TreeItem {
  /** Step key: below a parent, only what follows the parent's key and `/` (unless `a` is set). */
  k: string;
  /** Set (1) on a step below a parent whose key does not extend the parent's: `k` is whole. */
  a?: 1;
  /** Span id: the detail is fetched by it. */
  i: string;
  /** Kind. */
  t: string;
  /** Name. */
  n: string;
  /** Status: ok | error. */
  s: string;
  /** Depth. */
  d: number;
  /** Duration in ms. */
  ms: number;
  /** Bar offset and width, percent of the run's window, rounded to 0.01. */
  o: number;
  w: number;
  /** The error's one-line summary, on a failed step with nothing failed below it. */
  e?: string;
}

/**
 * A tree item as the page ships it: a tuple, so that 20,000 rows do not repeat ten property names
 * each. `[k, i, t, n, s, d, ms, o, w, e, a]`, with `e` null and `a` 0 when absent.
 */
export type PackedTreeItem = [k: string, i: string, t: string, n: string, s: string, d: number, ms: number, o: number, w: number, e: string | null, a: 0 | 1];
