import { init, resolveEndpoint } from "@tracewright/instrument";
import { AGENTS, isFaultName, runScenario, scenarios } from "@tracewright/reference-agents";
import type { AgentName } from "@tracewright/reference-agents";
import type { Flags, Io } from "../main.js";
import { UsageError } from "../main.js";

/** `tracewright agents scenarios`. */
export async function agentsScenarios(flags: Flags, io: Io): Promise<number> {
  const list = scenarios.map((s) => ({ agent: s.agent, scenario: s.scenario, expect: s.expect }));
  if (flags.json) io.out(JSON.stringify(list, null, 2));
  else for (const s of scenarios) io.out(`${s.agent.padEnd(13)} ${s.scenario.padEnd(24)} expect ${s.expect.padEnd(5)}  ${s.description}`);
  return 0;
}

/**
 * `tracewright agents run AGENT`: runs one scenario, exporting to the collector, and prints the
 * run id. Exits 0 when the run itself failed (that is a recorded outcome, not a CLI failure).
 */
export async function agentsRun(agent: string, flags: Flags, io: Io): Promise<number> {
  if (!(AGENTS as readonly string[]).includes(agent)) throw new UsageError(`unknown agent "${agent}"; the agents are ${AGENTS.join(", ")}`);
  if (flags.fault !== undefined && !isFaultName(flags.fault)) throw new UsageError(`unknown --fault "${flags.fault}"`);
  // With no collector, the agent runs unrecorded rather than waiting on export retries.
  const tracing = (await collectorAnswers(io)) ? init({ serviceName: `reference-agents.${agent}` }) : undefined;
  try {
    const result = await runScenario(agent as AgentName, flags.scenario ?? "success", flags.fault === undefined ? {} : { fault: flags.fault });
    await tracing?.flush();
    if (flags.json) io.out(JSON.stringify({ runId: result.runId, status: result.status }));
    else io.out(result.runId);
    if (result.status === "error") io.err(`run ${result.runId} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`);
    return 0;
  } finally {
    await tracing?.shutdown();
  }
}

/**
 * The agent runs whether or not a collector listens (telemetry never breaks the agent), but a
 * user who sees a run id and then no run deserves to know why.
 */
async function collectorAnswers(io: Io): Promise<boolean> {
  const base = resolveEndpoint().replace(/\/v1\/traces\/?$/, "");
  try {
    const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) io.err(`tracewright: the collector at ${base} answered ${response.status} to /healthz; this run may not be recorded.`);
    return true;
  } catch {
    io.err(`tracewright: no collector answers at ${base}; this run will not be recorded. Start one with \`npx tracewright collector\` (or \`npm start\`), or set OTEL_EXPORTER_OTLP_ENDPOINT.`);
    return false;
  }
}
