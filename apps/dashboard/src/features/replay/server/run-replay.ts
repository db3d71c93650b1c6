import "server-only";
import type * as ReferenceAgents from "@tracewright/reference-agents";
import type * as Replay from "@tracewright/replay";
import { getStore } from "../../store/server/store";
import type { ReplayRequest, ReplayResponse } from "../types";

/**
 * Replays a run through the same API as `tracewright replay`, with the agents this dashboard
 * knows how to re-run (the reference agents' entry points). The replay is recorded in the
 * same store as a new run linked to the original.
 */
/**
 * Replay and the agents it re-runs are loaded by Node at run time, not bundled: the agents read
 * their bundled data relative to their own files, and the whole run must share one copy of
 * `@tracewright/instrument`.
 */
async function load(): Promise<{ replayModule: typeof Replay; agents: typeof ReferenceAgents }> {
  const [replayModule, agents] = await Promise.all([
    import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "@tracewright/replay") as Promise<typeof Replay>,
    import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "@tracewright/reference-agents") as Promise<typeof ReferenceAgents>,
  ]);
  return { replayModule, agents };
}

export async function runReplay(runId: string, request: ReplayRequest): Promise<{ status: number; body: ReplayResponse }> {
  const access = await getStore();
  if (access.state !== "ready") return { status: 404, body: { error: { code: "NO_STORE", message: `No store at ${access.path}: record a run first.` } } };
  const { replayModule, agents } = await load();
  try {
    const report = await replayModule.replay({
      store: access.store,
      runId,
      mode: request.mode,
      agents: agents.replayEntryPoints,
      ...(request.from === undefined ? {} : { from: request.from }),
      ...(request.state === undefined ? {} : { state: request.state }),
      ...(request.fixes === undefined ? {} : { fixes: request.fixes }),
      ...(request.stop === true ? { onDivergence: "stop" as const } : {}),
      ...(request.allowSideEffects === true ? { allowSideEffects: true } : {}),
    });
    return { status: 200, body: { report } };
  } catch (error) {
    if (error instanceof replayModule.ReplayError) return { status: 400, body: { error: { code: error.code, message: error.message } } };
    throw error;
  }
}
