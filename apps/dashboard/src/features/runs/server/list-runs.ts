import "server-only";
import { StoreError } from "@tracewright/store";
import { getStore } from "../../store/server/store";
import type { RunsFilter, RunsView } from "../types";

/** One page of the run list, newest first, or why there is none. */
export async function loadRunsView(filter: RunsFilter): Promise<RunsView> {
  const access = await getStore();
  if (access.state === "absent") return { state: "absent", path: access.path };
  try {
    const page = await access.store.listRuns({
      ...(filter.status === undefined ? {} : { status: filter.status }),
      ...(filter.agent === undefined ? {} : { agent: filter.agent }),
      ...(filter.cursor === undefined ? {} : { cursor: filter.cursor }),
      limit: filter.limit,
    });
    return { state: "ready", runs: page.runs, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  } catch (error) {
    // A hand-edited or stale `?cursor=` is the visitor's mistake, not a server fault.
    if (error instanceof StoreError && error.code === "STORE_BAD_CURSOR") return { state: "bad-cursor" };
    throw error;
  }
}
