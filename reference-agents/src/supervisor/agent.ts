import { Command, INTERRUPT, isInterrupted } from "@langchain/langgraph";
import type { RunContext, RunOptions, RunResult } from "@tracewright/instrument";
import { humanInput, runWithResult } from "@tracewright/instrument";
import type { RetryPolicy } from "../calls.js";
import { DEFAULT_RETRY } from "../calls.js";
import { ReferenceAgentError, RoutingError } from "../errors.js";
import type { FaultName } from "../faults.js";
import { withModelFaults, withToolFaults } from "../faults.js";
import { resolveModel } from "../model/resolve.js";
import type { ChatModel } from "../model/types.js";
import { openSessionStore } from "../state/open.js";
import type { SessionStore } from "../state/store.js";
import type { Toolbox } from "../tools/toolbox.js";
import { createToolbox } from "../tools/toolbox.js";
import { RECURSION_LIMIT, supervisorGraph } from "./graph.js";
import { supervisorScript } from "./script.js";
import { loadSession, saveSession } from "./session.js";
import type { ApprovalAnswer, ApprovalRequest, SupervisorInput, SupervisorReport, SupervisorSession, SupervisorState } from "./types.js";
import type { SupervisorDeps } from "./workers.js";

export { MAX_ROUTING_DECISIONS } from "./workers.js";

/** The goal the scenarios give the supervisor. */
export const SUPERVISOR_GOAL = "Find the biggest savings on our AWS Lambda bill and say what to change first.";

/** What a run of a reference agent can be given besides its goal (both agents take these). */
export interface AgentRunOptions {
  /** The chat model. Default: `TRACEWRIGHT_AGENT_MODEL` (`bedrock:MODEL_ID`), else the agent's scripted model. */
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

/** Who answers the supervisor's request to approve its plan. */
export type Approver = (request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>;

export interface SupervisorOptions extends AgentRunOptions {
  goal: string;
  /** A label recorded with the run's input; it injects nothing (see `runScenario`). */
  scenario?: string;
  /** The fault to inject; recorded with the run's input. */
  fault?: FaultName;
  /** Ask a human to approve the plan before the work starts (recorded with the run's input). Default: false. */
  approval?: boolean;
  /** Answers the approval. Default: {@link scriptedApprover}. */
  approver?: Approver;
  /** The session to continue (recorded with the run's input). Default: a new session, its id a recorded uuid. */
  sessionId?: string;
  /**
   * Where sessions are kept. Default: the store `TRACEWRIGHT_SESSION_STORE` names, else
   * `file:.tracewright/sessions`; opened for the run and closed after it.
   */
  sessions?: SessionStore;
}

/** The default approver, standing in for a person: approves every plan, saying what it approved. */
export const scriptedApprover: Approver = (request) => ({ approved: true, comment: `Approved: ${request.plan.steps.map((step) => step.worker).join(", ")} over ${request.plan.dataset}.` });

/**
 * The supervisor agent, a LangGraph.js `StateGraph` (see `graph.ts`): a planner, then a loop
 * in which the supervisor node asks the model where the work goes next (`research`,
 * `analysis`, `writer`) until it says `done`. Each invocation loads the session from the
 * session store and saves it back, as recorded `state` steps; a run that asks for approval
 * interrupts the graph, saves the session as waiting, gets the human's answer (a `human` step)
 * and resumes the graph from the stored session.
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
    ...(options.approval === true ? { approval: true } : {}),
    ...(options.sessionId === undefined ? {} : { session: options.sessionId }),
  };
  let deps: SupervisorDeps;
  try {
    // Built per run: a fault's wrappers count calls, and a count must start afresh with each run.
    deps = {
      model: withModelFaults(resolveModel(options.model, supervisorScript, options.latencyScale ?? 1), options.fault),
      tools: withToolFaults(options.tools ?? createToolbox(), options.fault),
      toolTimeoutMs: options.toolTimeoutMs ?? 1000,
      retry: options.retry ?? DEFAULT_RETRY,
      fault: options.fault,
    };
  } catch (error) {
    return Promise.reject(error as Error);
  }
  const approver = options.approver ?? scriptedApprover;
  return runWithResult(
    "supervisor",
    input,
    async (ctx) => {
      const sessions = options.sessions ?? openSessionStore();
      try {
        return await supervise(ctx, deps, sessions, approver);
      } finally {
        if (options.sessions === undefined) await sessions.close();
      }
    },
    options.runOptions,
  );
}

async function supervise(ctx: RunContext<SupervisorInput>, deps: SupervisorDeps, sessions: SessionStore, approver: Approver): Promise<SupervisorReport> {
  const { goal } = ctx.state;
  // A new session's id is a recorded uuid: a replay continues the same session.
  const sessionId = ctx.state.session ?? ctx.uuid();
  const previous = await loadSession(sessions, sessionId);
  let session: SupervisorSession = {
    id: sessionId,
    threadId: `${sessionId}#${previous?.invocations ?? 0}`,
    status: "done",
    invocations: (previous?.invocations ?? 0) + 1,
    goal,
    pending: null,
    reports: previous?.reports ?? [],
    error: null,
  };
  const graph = supervisorGraph(deps, { approval: ctx.state.approval === true });
  const config = (threadId: string) => ({ configurable: { thread_id: threadId }, recursionLimit: RECURSION_LIMIT });
  try {
    let result = await graph.invoke(initialState(goal), config(session.threadId));
    while (isInterrupted<ApprovalRequest>(result)) {
      const request = result[INTERRUPT][0]!.value!;
      await saveSession(sessions, { ...session, status: "awaiting_approval", pending: request });
      // The human's answer comes from outside the program: a recorded step, served on replay.
      const answer = await humanInput(request, approver);
      // The next invocation starts from the stored session alone, as a resumed Lambda would.
      const stored = await loadSession(sessions, sessionId);
      if (stored?.status !== "awaiting_approval") {
        throw new ReferenceAgentError("SESSION_CONFLICT", `session "${sessionId}" is ${stored === null ? "gone" : `"${stored.status}"`}, not awaiting approval: another invocation moved it on`);
      }
      session = { ...stored, status: "done", invocations: stored.invocations + 1, pending: null };
      result = await graph.invoke(new Command({ resume: answer }), config(stored.threadId));
    }
    // The clock is read through the run context: a recorded step, so a replay dates the report
    // as the original run did.
    const report = finalReport(result, new Date(ctx.now()).toISOString());
    await saveSession(sessions, { ...session, reports: [...session.reports, { title: report.title, generatedAt: report.generatedAt, month: report.stats.month }] });
    return report;
  } catch (error) {
    // The session says the goal failed; a store that cannot take that leaves the agent's own error to tell.
    await saveSession(sessions, { ...session, status: "failed", pending: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }).catch(() => undefined);
    throw error;
  }
}

function initialState(goal: string): SupervisorState {
  return { goal, plan: null, approval: null, findings: [], stats: null, draft: null, routes: [] };
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
