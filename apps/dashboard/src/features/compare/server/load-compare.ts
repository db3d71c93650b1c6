import "server-only";
import type { RunDetail } from "@tracewright/store";
import { loadRun } from "../../run/server/load-run";
import { alignRuns } from "../fns/align";
import type { Comparison } from "../types";

export type CompareView =
  | { readonly state: "missing-params" }
  | { readonly state: "not-found"; readonly missing: readonly string[] }
  | { readonly state: "ready"; readonly a: RunDetail; readonly b: RunDetail; readonly comparison: Comparison };

/** Both runs and their steps aligned, or which run could not be found. */
export async function loadComparison(a: string | undefined, b: string | undefined): Promise<CompareView> {
  if (a === undefined || b === undefined) return { state: "missing-params" };
  const [ra, rb] = await Promise.all([loadRun(a), loadRun(b)]);
  if (ra === undefined || rb === undefined) return { state: "not-found", missing: [...(ra === undefined ? [a] : []), ...(rb === undefined ? [b] : [])] };
  return { state: "ready", a: ra, b: rb, comparison: alignRuns(ra.steps, rb.steps) };
}
