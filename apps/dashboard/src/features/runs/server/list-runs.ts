import "server-only";
import { performance } from "node:perf_hooks";
import { StoreError } from "@tracewright/store";
import { getStore } from "../../store/server/store";
import { toRunQuery } from "../fns/query";
import type { RunsFilter, RunsView } from "../types";

/** One page of the run list, filtered and sorted by the store, or why there is none. */
export async function loadRunsView(filter: RunsFilter): Promise<RunsView> {
  const access = await getStore();
  if (access.state === "absent") return { state: "absent", path: access.path };
  try {
    const started = performance.now();
    const page = await access.store.listRuns(toRunQuery(filter, Date.now()));
    const elapsedMs = performance.now() - started;
    const agents = await access.store.listAgents();
    return { state: "ready", runs: page.runs, agents, elapsedMs, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  } catch (error) {
    // A hand-edited or stale `?cursor=` is the visitor's mistake, not a server fault.
    if (error instanceof StoreError && error.code === "STORE_BAD_CURSOR") return { state: "bad-cursor" };
    throw error;
  }
}
