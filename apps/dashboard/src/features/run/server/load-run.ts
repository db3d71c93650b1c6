import "server-only";
import { cache } from "react";
import { loadRunDetail } from "@tracewright/store";
import type { RunDetail, RunSummary } from "@tracewright/store";
import { findByRunIdParam } from "../../../shared/fns/routes";
import { getStore } from "../../store/server/store";

/**
 * The run a `/runs/[runId]` segment names, with its steps in canonical order; undefined when the
 * store has no such run (or there is no store yet). Memoized per request, so the page and its
 * metadata read the run once.
 */
export const loadRun = cache(async (runIdParam: string): Promise<RunDetail | undefined> => {
  const access = await getStore();
  if (access.state === "absent") return undefined;
  return (await findByRunIdParam(runIdParam, (runId) => loadRunDetail(access.store, runId)))?.found;
});

/** Other runs of the same agent, newest first: the runs this one can be compared with. */
export async function loadSiblingRuns(run: RunSummary, limit = 50): Promise<RunSummary[]> {
  if (run.agent === "") return [];
  const access = await getStore();
  if (access.state === "absent") return [];
  const page = await access.store.listRuns({ agent: run.agent, limit: limit + 1 });
  return page.runs.filter((r) => r.runId !== run.runId).slice(0, limit);
}
