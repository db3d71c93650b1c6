import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ModelOutputError, ToolTimeoutError, UnknownNameError, UpstreamError } from "./errors.js";
import { FAULT_NAMES } from "./faults.js";
import type { AgentName } from "./scenarios.js";
import type { SupervisorReport } from "./supervisor/types.js";
import { findScenario, runScenario, scenarios } from "./scenarios.js";
import { spanRecorder, withoutClockAndUuids } from "./test-support/spans.js";

const recorder = spanRecorder();
const supervisorScenarios = scenarios.filter((s) => s.agent === "supervisor");
beforeAll(() => recorder.install());
afterAll(() => recorder.uninstall());
beforeEach(() => recorder.reset());

/** How each scenario ends: its error, and the steps that failed, deepest first. */
const outcomes: Record<string, { error?: { type: new (...args: never[]) => Error; message: string }; failed: string[] }> = {
  success: { failed: [] },
  tool_error: {
    error: { type: UpstreamError, message: "fetch_document: upstream returned 503 for doc://pricing" },
    failed: ["supervisor/node:research#0/tool:fetch_document#0", "supervisor/node:research#0", "supervisor"],
  },
  tool_timeout: {
    error: { type: ToolTimeoutError, message: "fetch_document: no response within 1000 ms for doc://pricing" },
    failed: ["supervisor/node:research#0/tool:fetch_document#0", "supervisor/node:research#0", "supervisor"],
  },
  malformed_model_output: {
    error: { type: ModelOutputError, message: "planner reply is not valid JSON (stopReason: max_tokens): Unterminated string in JSON at position 370" },
    failed: ["supervisor/node:planner#0", "supervisor"],
  },
  rate_limit_then_ok: {
    failed: ["supervisor/node:planner#0/llm:planner#0", "supervisor/node:planner#0/llm:planner#1"],
  },
  agent_bug: {
    error: { type: TypeError, message: "Cannot read properties of undefined (reading 'total')" },
    failed: ["supervisor/node:analysis#0", "supervisor"],
  },
  human_approval: { failed: [] },
};

describe("the scenario registry", () => {
  it("names each scenario once, and covers every fault", () => {
    const names = scenarios.map((s) => `${s.agent}/${s.scenario}`);
    expect(new Set(names).size).toBe(names.length);
    expect(scenarios[0]).toMatchObject({ agent: "supervisor", scenario: "success", expect: "ok" });
    expect(scenarios.find((s) => s.fault === undefined)?.scenario).toBe("success");
    expect(supervisorScenarios.filter((s) => s.approval === true).map((s) => s.scenario)).toEqual(["human_approval"]);
    expect(new Set(supervisorScenarios.flatMap((s) => (s.fault === undefined ? [] : [s.fault])))).toEqual(new Set(FAULT_NAMES));
    expect(Object.keys(outcomes).sort()).toEqual(supervisorScenarios.map((s) => s.scenario).sort());
    for (const s of scenarios) expect(s.description.length).toBeGreaterThan(20);
  });

  it("rejects an unknown agent or scenario, listing what exists", async () => {
    expect(() => findScenario("supervisor", "nope")).toThrow('unknown supervisor scenario "nope"; known: success, tool_error, tool_timeout, malformed_model_output, rate_limit_then_ok, agent_bug, human_approval');
    await expect(runScenario("planner" as AgentName, "success")).rejects.toThrow(new UnknownNameError("agent", "planner", ["supervisor", "choreography"]));
    expect(recorder.spans()).toHaveLength(0);
  });
});

describe.each(supervisorScenarios)("scenario $agent/$scenario (expect $expect)", (scenario) => {
  const outcome = outcomes[scenario.scenario];

  it("ends as the registry says, failing where it should", async () => {
    const result = await runScenario(scenario.agent, scenario.scenario);
    expect(result.status).toBe(scenario.expect);
    expect(result.runId).toMatch(/^[0-9a-f]{32}$/);
    if (outcome?.error === undefined) {
      expect(result.error).toBeUndefined();
      expect((result.output as SupervisorReport | undefined)?.routes).toEqual(["research", "analysis", "writer", "done"]);
    } else {
      expect(result.error).toBeInstanceOf(outcome.error.type);
      expect((result.error as Error).message).toBe(outcome.error.message);
      expect(result.output).toBeUndefined();
    }
    expect(recorder.steps().filter((step) => step.status === "error").map((step) => step.key)).toEqual(outcome?.failed);
    expect(recorder.step("supervisor").input).toEqual({ goal: expect.any(String) as string, scenario: scenario.scenario, ...(scenario.fault === undefined ? {} : { fault: scenario.fault }), ...(scenario.approval === true ? { approval: true } : {}) });
    // The session is loaded first and saved last, saying how the goal ended.
    const states = recorder.steps().filter((step) => step.kind === "state");
    expect(states.at(0)?.key).toBe("supervisor/state:load#0");
    expect(states.at(-1)).toMatchObject({ status: "ok", input: { state: { status: scenario.expect === "ok" ? "done" : "failed" } } });
  });

  it("records the same steps, inputs, outputs and errors on every run", async () => {
    await runScenario(scenario.agent, scenario.scenario, { latencyScale: 0 });
    const first = withoutClockAndUuids(recorder.steps());
    recorder.reset();
    await runScenario(scenario.agent, scenario.scenario, { latencyScale: 0 });
    const second = withoutClockAndUuids(recorder.steps());
    expect(second).toEqual(first);
    expect(first.length).toBeGreaterThan(2);
    // Keys address steps uniquely: what replay matches recorded results by.
    expect(new Set(first.map((step) => step.key)).size).toBe(first.length);
  });
});

describe("runScenario", () => {
  it("injects a fault given in place of the scenario's own", async () => {
    const result = await runScenario("supervisor", "success", { fault: "tool_error", latencyScale: 0 });
    expect(result.status).toBe("error");
    expect(result.error).toBeInstanceOf(UpstreamError);
    expect(recorder.step("supervisor").input).toMatchObject({ scenario: "success", fault: "tool_error" });
  });

  it("retries throttled planner calls in rate_limit_then_ok and records each attempt", async () => {
    await runScenario("supervisor", "rate_limit_then_ok", { latencyScale: 0 });
    const attempts = recorder.steps().filter((step) => step.key.startsWith("supervisor/node:planner#0/llm:planner#"));
    expect(attempts.map((step) => [step.key.slice(-1), step.status, step.error?.type])).toEqual([
      ["0", "error", "ThrottlingException"],
      ["1", "error", "ThrottlingException"],
      ["2", "ok", undefined],
    ]);
    // The same request each time: a retry, not a new question.
    expect(new Set(attempts.map((step) => step.inputHash)).size).toBe(1);
  });

  it("records the cut-off planner reply that malformed_model_output makes the plan node fail on", async () => {
    await runScenario("supervisor", "malformed_model_output", { latencyScale: 0 });
    const planner = recorder.step("supervisor/node:planner#0/llm:planner#0");
    expect(planner.status).toBe("ok");
    expect(planner.output).toMatchObject({ stopReason: "max_tokens" });
  });

  it("lets the analysis tools succeed before agent_bug's TypeError", async () => {
    await runScenario("supervisor", "agent_bug", { latencyScale: 0 });
    expect(recorder.steps().filter((step) => step.key.includes("tool:compute_stats")).map((step) => step.status)).toEqual(["ok", "ok", "ok"]);
    expect(recorder.keys()).not.toContain("supervisor/node:writer#0");
  });
});
