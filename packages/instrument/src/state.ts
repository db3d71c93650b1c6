import { StepKind } from "./conventions.js";
import { boundary, withStep } from "./steps.js";

/**
 * Externalized state (a session kept in a file, SQLite, DynamoDB, S3…) as recorded `state`
 * steps. A load is a boundary like a tool call: its input is the key, its output the state the
 * store returned, and replay serves that output without touching the store. A save's input is
 * the key and the state written; its output is what `save` returns (replay serves it and
 * writes nothing).
 *
 * ```ts
 * const session = await loadState(sessionId, (key) => store.load(key));
 * …
 * await saveState(sessionId, next, (key, state) => store.save(key, state));
 * ```
 */
export function loadState<S>(key: string, load: (key: string) => S | Promise<S>): Promise<S> {
  return withStep(boundary(StepKind.STATE, "load", { key }), (input) => load((input as { key: string }).key));
}

/** Saves `state` under `key` as a recorded `state` step named `save`; see {@link loadState}. */
export function saveState<S, R>(key: string, state: S, save: (key: string, state: S) => R | Promise<R>): Promise<R> {
  return withStep(boundary(StepKind.STATE, "save", { key, state }), (input) => {
    const { key: k, state: s } = input as { key: string; state: S };
    return save(k, s);
  });
}
