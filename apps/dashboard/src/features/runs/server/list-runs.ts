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
  // Only the embedded store indexes the recorded text; CloudWatch Logs refuses a text query.
  const textSearch = access.source.kind === "store";
  const agents = access.store.listAgents();
  try {
    const started = performance.now();
    const page = await access.store.listRuns(toRunQuery(filter, Date.now()));
    const elapsedMs = performance.now() - started;
    return { state: "ready", runs: page.runs, agents: await agents, elapsedMs, textSearch, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  } catch (error) {
    // A hand-edited or stale `?cursor=` is the visitor's mistake, not a server fault.
    if (error instanceof StoreError && error.code === "STORE_BAD_CURSOR") return { state: "bad-cursor", agents: await agents, textSearch };
    // A filter this source cannot answer is said, with the way out, rather than failing the page.
    if (error instanceof StoreError && error.code === "STORE_QUERY_UNSUPPORTED") return { state: "unsupported", message: error.message, agents: await agents, textSearch };
    // A filter the store refuses (a NUL in the text from a hand-edited address): said, with the way out.
    if (error instanceof StoreError && error.code === "STORE_BAD_QUERY") return { state: "bad-query", message: error.message, agents: await agents, textSearch };
    agents.catch(() => undefined);
    throw error;
  }
}
