import "server-only";
import type { TraceStore } from "@tracewright/store";
import type * as ReferenceAgents from "@tracewright/reference-agents";
import type * as Replay from "@tracewright/replay";
import { findByRunIdParam, runIdCandidates } from "../../../shared/fns/routes";
import { getStore } from "../../store/server/store";
import type { ReplayRequest, ReplayResponse } from "../types";

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

/**
 * What this dashboard can replay: the agents it has an entry point for (a run of another agent is
 * replayed from its own code), and the fixes verify-fix can pass them, for the Fixes field.
 */
export async function replayOffer(): Promise<{ readonly agents: readonly string[]; readonly fixes: readonly string[] }> {
  const { agents } = await load();
  return { agents: agents.replayEntryPoints.map((entry) => entry.name), fixes: agents.FIXES };
}

/**
 * The run a `[runId]` segment names: the first of its candidates the store has, else the most
 * decoded one (so that replay's own REPLAY_NO_RUN names the id as the visitor meant it).
 */
async function resolveRunId(store: TraceStore, runIdParam: string): Promise<string> {
  const known = await findByRunIdParam(runIdParam, (runId) => store.getRun(runId));
  return known?.runId ?? runIdCandidates(runIdParam).at(-1) ?? runIdParam;
}

/**
 * Replays the run a `[runId]` segment names through the same API as `tracewright replay`, with
 * the agents this dashboard knows how to re-run (the reference agents' entry points). The replay
 * is recorded in the same store as a new run linked to the original. A run the store does not
 * have is a 404; any other request replay refuses, a 400.
 */
export async function runReplay(runIdParam: string, request: ReplayRequest): Promise<{ status: number; body: ReplayResponse }> {
  const access = await getStore();
  if (access.state !== "ready") return { status: 404, body: { error: { code: "NO_STORE", message: `No store at ${access.path}: record a run first.` } } };
  const runId = await resolveRunId(access.store, runIdParam);
  const { replayModule, agents } = await load();
  // A misspelt fix would replay the fault as recorded and report it unfixed: refused, with the names there are.
  const unknown = (request.fixes ?? []).filter((fix) => !(agents.FIXES as readonly string[]).includes(fix));
  if (unknown.length > 0) return { status: 400, body: { error: { code: "UNKNOWN_FIX", message: `No fix named ${unknown.map((f) => `"${f}"`).join(", ")}: the reference agents can be fixed of ${agents.FIXES.join(", ")}.` } } };
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
    if (error instanceof replayModule.ReplayError) return { status: error.code === "REPLAY_NO_RUN" ? 404 : 400, body: { error: { code: error.code, message: error.message } } };
    throw error;
  }
}
