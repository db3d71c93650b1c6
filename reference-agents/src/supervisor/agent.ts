import type { RunContext, RunOptions, RunResult } from "@tracewright/instrument";
import { node, runWithResult } from "@tracewright/instrument";
import type { RetryPolicy } from "../calls.js";
import { DEFAULT_RETRY } from "../calls.js";
import { RoutingError } from "../errors.js";
import type { FaultName } from "../faults.js";
import { withModelFaults, withToolFaults } from "../faults.js";
import { createScriptedModel } from "../model/scripted.js";
import type { ChatModel } from "../model/types.js";
import type { Toolbox } from "../tools/toolbox.js";
import { createToolbox } from "../tools/toolbox.js";
import { supervisorScript } from "./script.js";
import type { SupervisorInput, SupervisorReport, SupervisorState } from "./types.js";
import type { SupervisorDeps } from "./workers.js";
import { WORKER_NODES, plan, route } from "./workers.js";

/** The goal the scenarios give the supervisor. */
export const SUPERVISOR_GOAL = "Find the biggest savings on our AWS Lambda bill and say what to change first.";

/** Routing decisions after which a run that has not reached `done` fails. */
export const MAX_ROUTING_DECISIONS = 8;

/** What a run of a reference agent can be given besides its goal (both agents take these). */
export interface AgentRunOptions {
  /** The chat model. Default: the agent's scripted model. */
  model?: ChatModel;
  /** The tools. Default: the toolbox over the bundled data. */
  tools?: Toolbox;
  /** Scales the default scripted model's simulated latency; `0` answers at once. Default: 1. */
  latencyScale?: number;
  /** The deadline of every tool call. Default: 1000 ms for the supervisor, 200 ms for the choreography. */
  toolTimeoutMs?: number;
  /** Retries of throttled model calls. Default: 4 attempts, backoff from 50 ms. */
  retry?: RetryPolicy;
  /** Passed to `runWithResult` (e.g. replay's interceptor). */
  runOptions?: RunOptions;
}

export interface SupervisorOptions extends AgentRunOptions {
  goal: string;
  /** A label recorded with the run's input; it injects nothing (see `runScenario`). */
  scenario?: string;
  /** The fault to inject; recorded with the run's input. */
  fault?: FaultName;
}

/**
 * The supervisor agent: a planner, then a loop in which the supervisor node asks the model
 * where the work goes next (`research`, `analysis`, `writer`) and runs that worker as a node,
 * until the model says `done`. Every node takes the whole state and returns the next one.
 *
 * Resolves to the run's id and outcome; a failure of the agent itself (an injected fault, a
 * bad model reply) is a run with status `error`, not a rejection.
 */
export function runSupervisor(options: SupervisorOptions): Promise<RunResult<SupervisorReport>> {
  if (typeof options.goal !== "string" || options.goal.trim() === "") {
    return Promise.reject(new TypeError("runSupervisor: `goal` must be a non-empty string"));
  }
  const input: SupervisorInput = {
    goal: options.goal,
    ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
    ...(options.fault === undefined ? {} : { fault: options.fault }),
  };
  // Built per run: a fault's wrappers count calls, and a count must start afresh with each run.
  const deps: SupervisorDeps = {
    model: withModelFaults(options.model ?? createScriptedModel(supervisorScript, { latencyScale: options.latencyScale ?? 1 }), options.fault),
    tools: withToolFaults(options.tools ?? createToolbox(), options.fault),
    toolTimeoutMs: options.toolTimeoutMs ?? 1000,
    retry: options.retry ?? DEFAULT_RETRY,
    fault: options.fault,
  };
  return runWithResult("supervisor", input, (ctx) => supervise(ctx, deps), options.runOptions);
}

async function supervise(ctx: RunContext<SupervisorInput>, deps: SupervisorDeps): Promise<SupervisorReport> {
  let state: SupervisorState = { goal: ctx.state.goal, plan: null, findings: [], stats: null, draft: null, routes: [] };
  state = await node("plan", state, (s) => plan(s, deps));
  for (;;) {
    if (state.routes.length === MAX_ROUTING_DECISIONS) {
      throw new RoutingError(`no "done" after ${MAX_ROUTING_DECISIONS} routing decisions (${state.routes.map((r) => r.next).join(" → ")})`);
    }
    state = await node("supervisor", state, (s) => route(s, deps));
    const next = state.routes.at(-1)?.next ?? "done";
    if (next === "done") break;
    state = await node(next, state, (s) => WORKER_NODES[next](s, deps));
  }
  // The clock is read through the run context: a recorded step, so a replay dates the report
  // as the original run did.
  return finalReport(state, new Date(ctx.now()).toISOString());
}

function finalReport(state: SupervisorState, generatedAt: string): SupervisorReport {
  if (state.draft === null || state.stats === null) {
    throw new RoutingError(`the router said "done" before ${state.stats === null ? "analysis produced statistics" : "the writer produced a draft"}`);
  }
  const title = /^# (.+)$/m.exec(state.draft)?.[1] ?? state.goal;
  return {
    goal: state.goal,
    title,
    generatedAt,
    markdown: `${state.draft}\n\n_Generated ${generatedAt} by the supervisor agent._\n`,
    sources: state.findings.map((finding) => finding.source),
    stats: state.stats,
    routes: state.routes.map((r) => r.next),
  };
}
