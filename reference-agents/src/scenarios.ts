import type { RunOptions, RunResult } from "@tracewright/instrument";
import { UnknownNameError } from "./errors.js";
import type { SessionStore } from "./state/store.js";
import { CHOREOGRAPHY_GOAL, runChoreography } from "./choreography/agents.js";
import type { ChoreographyFault, ChoreographyReport } from "./choreography/agents.js";
import { SUPERVISOR_GOAL, runSupervisor } from "./supervisor/agent.js";
import type { SupervisorReport } from "./supervisor/types.js";

/** The reference agents. */
export const AGENTS = ["supervisor", "choreography"] as const;
export type AgentName = (typeof AGENTS)[number];

/** A named way to run a reference agent, and how that run is expected to end. */
export interface Scenario {
  agent: AgentName;
  scenario: string;
  expect: "ok" | "error";
  fault?: ChoreographyFault;
  /** The supervisor asks a human to approve its plan (an interrupt, resumed with the answer). */
  approval?: boolean;
  description: string;
}

/** Every scenario, in the order `npm start` runs them. */
export const scenarios: readonly Scenario[] = [
  {
    agent: "supervisor",
    scenario: "success",
    expect: "ok",
    description: "Plans, researches the corpus, analyses the Lambda cost data and writes the report.",
  },
  {
    agent: "supervisor",
    scenario: "tool_error",
    expect: "error",
    fault: "tool_error",
    description: "fetch_document answers 503 for doc://pricing during research; the run fails there.",
  },
  {
    agent: "supervisor",
    scenario: "tool_timeout",
    expect: "error",
    fault: "tool_timeout",
    description: "fetch_document never answers for doc://pricing; the call's deadline fails the run.",
  },
  {
    agent: "supervisor",
    scenario: "malformed_model_output",
    expect: "error",
    fault: "malformed_model_output",
    description: "The planner's reply is cut off at max_tokens mid-JSON; the plan cannot be parsed.",
  },
  {
    agent: "supervisor",
    scenario: "rate_limit_then_ok",
    expect: "ok",
    fault: "rate_limit_then_ok",
    description: "The first two model calls are throttled; the agent backs off, retries and completes.",
  },
  {
    agent: "supervisor",
    scenario: "agent_bug",
    expect: "error",
    fault: "agent_bug",
    description: "An off-by-one in the analysis node's own code throws a TypeError.",
  },
  {
    agent: "supervisor",
    scenario: "human_approval",
    expect: "ok",
    approval: true,
    description: "The supervisor asks a human to approve its plan: the graph interrupts, the session is saved as waiting, and the answer resumes it.",
  },
  { agent: "choreography", scenario: "success", expect: "ok", description: "Research, analysis and writer agents hand the goal along the bus; the report arrives." },
  { agent: "choreography", scenario: "tool_error", expect: "error", fault: "tool_error", description: "fetch_document answers 503 in research on every delivery; after 3 receives the message goes to the research DLQ." },
  { agent: "choreography", scenario: "tool_timeout", expect: "error", fault: "tool_timeout", description: "fetch_document never answers; each delivery hits the deadline and the message ends in the DLQ." },
  { agent: "choreography", scenario: "malformed_model_output", expect: "ok", fault: "malformed_model_output", description: "The researcher's first reply is cut off mid-JSON; the handler fails, SQS redelivers, and the second attempt succeeds." },
  { agent: "choreography", scenario: "rate_limit_then_ok", expect: "ok", fault: "rate_limit_then_ok", description: "The first two model calls are throttled; the handler backs off and completes on the first delivery." },
  { agent: "choreography", scenario: "poison_message", expect: "error", fault: "poison_message", description: "The intake publishes goal.received without a goal; research can never process it and it lands in the DLQ." },
  { agent: "choreography", scenario: "agent_bug", expect: "error", fault: "agent_bug", description: "An off-by-one in the analysis handler throws a TypeError on every delivery; the message ends in the DLQ." },
];

/**
 * The fixes a replay can pass the reference agents (`verify-fix --fix NAME`, the dashboard's
 * Fixes): the faults of their scenarios, each of which the "fixed code" leaves out.
 */
export const FIXES: readonly ChoreographyFault[] = [...new Set(scenarios.flatMap((s) => (s.fault === undefined ? [] : [s.fault])))];

/** Finds a scenario, or throws an error listing the agent's scenarios. */
export function findScenario(agent: AgentName, scenario: string): Scenario {
  if (!(AGENTS as readonly string[]).includes(agent)) throw new UnknownNameError("agent", agent, AGENTS);
  const found = scenarios.find((s) => s.agent === agent && s.scenario === scenario);
  if (found === undefined) {
    const known = scenarios.filter((s) => s.agent === agent).map((s) => s.scenario);
    throw new UnknownNameError(`${agent} scenario`, scenario, known);
  }
  return found;
}

export interface ScenarioRunOptions {
  /** Inject this fault instead of the scenario's own. */
  fault?: ChoreographyFault;
  /** Scales the scripted model's simulated latency; `0` answers at once. Default: 1. */
  latencyScale?: number;
  /** Passed to the run (e.g. replay's interceptor). */
  runOptions?: RunOptions;
  /** The supervisor's session store. Default: see `runSupervisor`. */
  sessions?: SessionStore;
}

/**
 * Runs one scenario of a reference agent with its fault injected. Resolves to the run's id and
 * outcome whether the run succeeded or failed; rejects only for an unknown agent or scenario.
 */
export async function runScenario(agent: AgentName, scenario: string, options: ScenarioRunOptions = {}): Promise<RunResult<SupervisorReport | ChoreographyReport>> {
  const found = findScenario(agent, scenario);
  const fault = options.fault ?? found.fault;
  if (agent === "choreography") {
    return runChoreography({
      goal: CHOREOGRAPHY_GOAL,
      scenario: found.scenario,
      ...(fault === undefined ? {} : { fault }),
      ...(options.latencyScale === undefined ? {} : { latencyScale: options.latencyScale }),
      ...(options.runOptions === undefined ? {} : { runOptions: options.runOptions }),
    });
  }
  if (fault === "poison_message") throw new UnknownNameError("supervisor fault", fault, []);
  return runSupervisor({
    goal: SUPERVISOR_GOAL,
    scenario: found.scenario,
    ...(fault === undefined ? {} : { fault }),
    ...(found.approval === true ? { approval: true } : {}),
    ...(options.latencyScale === undefined ? {} : { latencyScale: options.latencyScale }),
    ...(options.runOptions === undefined ? {} : { runOptions: options.runOptions }),
    ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
  });
}
