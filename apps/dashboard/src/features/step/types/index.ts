import type { StepError } from "@tracewright/store";

/**
 * A recorded state as the step detail receives it. Small states come inline, parsed; a state
 * over the inline limit comes as its size alone and is fetched on demand from `url`.
 */
export type StatePayload =
  | { readonly kind: "json"; readonly bytes: number; readonly value: unknown }
  | { readonly kind: "text"; readonly bytes: number; readonly text: string }
  | { readonly kind: "large"; readonly bytes: number; readonly url: string };

/** A labelled fact about a step, read from its attributes (model, tokens, …). */
export interface Fact {
  readonly label: string;
  readonly value: string;
}

/** What `/api/runs/RUN_ID/spans/SPAN_ID` answers: one step's recorded data, loaded on demand. */
export interface StepDetailData {
  readonly runId: string;
  readonly spanId: string;
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly status: "ok" | "error";
  readonly startTime: string;
  readonly durationMs: number;
  readonly facts: readonly Fact[];
  readonly error?: StepError;
  readonly input: StatePayload;
  readonly output: StatePayload;
  readonly attributes: StatePayload;
}

/** One line of a JSON document laid out for the viewer. */
export interface JsonLine {
  /** Nesting depth (indentation). */
  readonly depth: number;
  /** The property name, for a member of an object. */
  readonly key?: string;
  /** `open` starts an object or array, `close` ends one, `leaf` is a scalar or an empty container. */
  readonly type: "open" | "close" | "leaf";
  /** What the line shows after the key: `{`, `[`, `}`, `]`, or the JSON text of a scalar. */
  readonly text: string;
  /** For `open`: the index of its `close` line; the lines between are its body. */
  readonly end: number;
  /** For `open`: how many members the container has. */
  readonly size: number;
  /** A comma follows (not the last member). */
  readonly comma: boolean;
  /** JSON-pointer-like path of the value, e.g. `messages.0.content`. */
  readonly path: string;
}

/** One difference between two JSON values, at a path. */
export interface DiffEntry {
  readonly path: string;
  readonly op: "added" | "removed" | "changed";
  readonly before?: unknown;
  readonly after?: unknown;
}
