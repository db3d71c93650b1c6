import type { RunOptions, RunResult } from "@tracewright/instrument";
import { isFaultName } from "./faults.js";
import { HANDLER_NAMES, invokeHandler, runChoreography } from "./choreography/agents.js";
import type { ChoreographyFault } from "./choreography/agents.js";
import { runSupervisor } from "./supervisor/agent.js";
import type { SupervisorInput } from "./supervisor/types.js";

/**
 * How the reference agents are replayed: one entry point per agent name, re-running the agent
 * on its recorded input with the replay's run options. `fixes` names faults the "fixed code"
 * no longer has: replaying an `agent_bug` run with the fix `agent_bug` runs the agent without
 * its bug, as a developer's patched code would (`tracewright replay RUN --mode verify-fix
 * --fix agent_bug`).
 */
export interface ReferenceEntryPoint {
  name: string;
  run(input: unknown, runOptions: RunOptions, context: { fixes: readonly string[]; runInput?: unknown }): Promise<RunResult<unknown>>;
}

function supervisorInput(input: unknown): SupervisorInput {
  const value = (input ?? {}) as Partial<SupervisorInput>;
  return {
    goal: typeof value.goal === "string" ? value.goal : "",
    ...(typeof value.scenario === "string" ? { scenario: value.scenario } : {}),
    ...(typeof value.fault === "string" && isFaultName(value.fault) ? { fault: value.fault } : {}),
    ...(value.approval === true ? { approval: true } : {}),
    ...(typeof value.session === "string" ? { session: value.session } : {}),
  };
}

export const replayEntryPoints: readonly ReferenceEntryPoint[] = [
  {
    name: "supervisor",
    run(input, runOptions, { fixes }) {
      const { fault, session, ...rest } = supervisorInput(input);
      return runSupervisor({ ...rest, ...(session === undefined ? {} : { sessionId: session }), ...(fault !== undefined && !fixes.includes(fault) ? { fault } : {}), runOptions });
    },
  },
  {
    name: "choreography",
    run(input, runOptions, { fixes }) {
      const value = (input ?? {}) as { goal?: unknown; scenario?: unknown; fault?: unknown };
      const fault = typeof value.fault === "string" && !fixes.includes(value.fault) ? (value.fault as ChoreographyFault) : undefined;
      return runChoreography({
        goal: typeof value.goal === "string" ? value.goal : "",
        ...(typeof value.scenario === "string" ? { scenario: value.scenario } : {}),
        ...(fault === undefined ? {} : { fault }),
        runOptions,
      });
    },
  },
  // Each choreography handler alone, for replaying one invocation from its recorded event.
  ...HANDLER_NAMES.map(
    (name): ReferenceEntryPoint => ({
      name,
      run(input, runOptions, { fixes, runInput }) {
        const recorded = (runInput ?? {}) as { fault?: unknown };
        const fault = typeof recorded.fault === "string" && !fixes.includes(recorded.fault) ? (recorded.fault as ChoreographyFault) : undefined;
        return invokeHandler(name, (input ?? {}) as Record<string, unknown>, { ...(fault === undefined ? {} : { fault }), runOptions });
      },
    }),
  ),
];
