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

/**
 * The one run whose id starts with `prefix` (the short id the pages show, 6 hex digits or more),
 * found through the store's text search, which matches run ids by their start; undefined when
 * none or several do, or the source cannot search (CloudWatch Logs).
 */
export async function resolveShortRunId(prefix: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{6,31}$/i.test(prefix)) return undefined;
  const access = await getStore();
  if (access.state === "absent" || access.source.kind !== "store") return undefined;
  const matches = (await access.store.listRuns({ text: prefix, limit: 100 })).runs.filter((r) => r.runId.startsWith(prefix));
  return matches.length === 1 ? matches[0]?.runId : undefined;
}

/** Other runs of the same agent, newest first: the runs this one can be compared with. */
export async function loadSiblingRuns(run: RunSummary, limit = 50): Promise<RunSummary[]> {
  if (run.agent === "") return [];
  const access = await getStore();
  if (access.state === "absent") return [];
  const page = await access.store.listRuns({ agent: run.agent, limit: limit + 1 });
  return page.runs.filter((r) => r.runId !== run.runId).slice(0, limit);
}
