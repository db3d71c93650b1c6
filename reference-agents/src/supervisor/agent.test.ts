import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GenAI } from "@tracewright/instrument";
import { RoutingError } from "../errors.js";
import type { ScriptRule } from "../model/scripted.js";
import { createScriptedModel } from "../model/scripted.js";
import { memorySessionStore } from "../state/store.js";
import { spanRecorder } from "../test-support/spans.js";
import { MAX_ROUTING_DECISIONS, SUPERVISOR_GOAL, runSupervisor } from "./agent.js";
import { ROUTER_SYSTEM } from "./prompts.js";
import { supervisorScript } from "./script.js";
import type { SupervisorReport, SupervisorState } from "./types.js";

const recorder = spanRecorder();
beforeAll(() => recorder.install());
afterAll(() => recorder.uninstall());
beforeEach(() => recorder.reset());

/** The supervisor's script with the router replaced. */
function withRouter(reply: ScriptRule["reply"]) {
  const router: ScriptRule = { name: "router", matches: (request) => request.system?.[0]?.text === ROUTER_SYSTEM, reply };
  return createScriptedModel([router, ...supervisorScript], { latencyScale: 0 });
}

describe("runSupervisor", () => {
  it("plans, researches, analyses, writes, and returns a dated report", async () => {
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0 });
    expect(result.status).toBe("ok");
    expect(result.runId).toBe(result.traceId);
    const report = result.output as SupervisorReport;
    expect(report.title).toBe("Lambda cost review: 2025-09");
    expect(report.routes).toEqual(["research", "analysis", "writer", "done"]);
    expect(report.sources).toEqual(["doc://pricing", "doc://graviton", "doc://power-tuning", "doc://logs-retention"]);
    expect(report.stats).toEqual({
      dataset: "lambda-costs",
      month: "2025-09",
      totalUsd: 356.21,
      monthOverMonth: 0.0402,
      topFunctions: [
        { name: "image-resize", costUsd: 134.85, share: 0.3786 },
        { name: "etl-transform", costUsd: 95.67, share: 0.2686 },
        { name: "catalog-sync", costUsd: 90.1, share: 0.2529 },
        { name: "catalog-search", costUsd: 12.04, share: 0.0338 },
        { name: "checkout-api", costUsd: 7.42, share: 0.0208 },
      ],
      x86GbSeconds: 20026706.5,
      armSavingsUsd: 66.76,
    });
    expect(report.markdown).toContain("Lambda spend was $356.21 in 2025-09, up 4.0% on the month before.");
    expect(report.markdown).toContain("The three most expensive functions, image-resize, etl-transform and catalog-sync, make up 90.0% of it.");
    expect(report.markdown).toContain("| image-resize | 134.85 | 37.9% |");
    expect(report.markdown).toContain("would have saved about $66.76 that month");
    expect(report.markdown).toContain("[doc://graviton]");
    // The timestamp is the run's recorded clock reading.
    const clock = recorder.step("supervisor/clock:now#0");
    expect(report.generatedAt).toBe(new Date(clock.output as number).toISOString());
    expect(report.markdown.endsWith(`_Generated ${report.generatedAt} by the supervisor agent._\n`)).toBe(true);
    // The writer's answer was streamed: its step recorded every piece, and the draft is them joined.
    const writer = recorder.step("supervisor/node:writer#0/llm:writer#0").output as { events: Record<string, { delta?: { text: string } }>[]; usage: { outputTokens: number } };
    const pieces = writer.events.flatMap((e) => (e.contentBlockDelta?.delta === undefined ? [] : [e.contentBlockDelta.delta.text]));
    expect(pieces.length).toBeGreaterThan(1);
    expect(report.markdown).toContain(pieces.join(""));
    expect(writer.usage.outputTokens).toBeGreaterThan(0);
    expect(recorder.span("supervisor/node:writer#0/llm:writer#0").attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(writer.usage.outputTokens);
  });

  it("records every node, model call and tool call under a stable key", async () => {
    await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0 });
    // In the order the steps ended: children before their node.
    expect(recorder.keys()).toMatchInlineSnapshot(`
      [
        "supervisor/uuid:uuid#0",
        "supervisor/state:load#0",
        "supervisor/node:planner#0/llm:planner#0",
        "supervisor/node:planner#0",
        "supervisor/node:supervisor#0/llm:router#0",
        "supervisor/node:supervisor#0",
        "supervisor/node:research#0/tool:web_search#0",
        "supervisor/node:research#0/tool:web_search#1",
        "supervisor/node:research#0/tool:web_search#2",
        "supervisor/node:research#0/tool:web_search#3",
        "supervisor/node:research#0/tool:fetch_document#0",
        "supervisor/node:research#0/tool:fetch_document#1",
        "supervisor/node:research#0/tool:fetch_document#2",
        "supervisor/node:research#0/tool:fetch_document#3",
        "supervisor/node:research#0",
        "supervisor/node:supervisor#1/llm:router#0",
        "supervisor/node:supervisor#1",
        "supervisor/node:analysis#0/tool:compute_stats#0",
        "supervisor/node:analysis#0/tool:compute_stats#1",
        "supervisor/node:analysis#0/tool:compute_stats#2",
        "supervisor/node:analysis#0",
        "supervisor/node:supervisor#2/llm:router#0",
        "supervisor/node:supervisor#2",
        "supervisor/node:writer#0/llm:writer#0",
        "supervisor/node:writer#0",
        "supervisor/node:supervisor#3/llm:router#0",
        "supervisor/node:supervisor#3",
        "supervisor/clock:now#0",
        "supervisor/state:save#0",
        "supervisor",
      ]
    `);
    expect(recorder.steps().every((step) => step.status === "ok")).toBe(true);
    expect(recorder.step("supervisor").input).toEqual({ goal: SUPERVISOR_GOAL });
  });

  it("passes the state from node to node: each node's output is the next one's input", async () => {
    await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0 });
    const nodes = recorder.steps().filter((step) => step.kind === "node");
    expect(nodes.map((step) => step.key.replace("supervisor/node:", ""))).toEqual(["planner#0", "supervisor#0", "research#0", "supervisor#1", "analysis#0", "supervisor#2", "writer#0", "supervisor#3"]);
    expect(nodes[0]?.input).toEqual({ goal: SUPERVISOR_GOAL, plan: null, approval: null, findings: [], stats: null, draft: null, routes: [] });
    for (let i = 1; i < nodes.length; i++) expect(nodes[i]?.input, nodes[i]?.key).toEqual(nodes[i - 1]?.output);

    const planned = nodes[0]?.output as SupervisorState;
    expect(planned.plan?.steps.map((step) => step.worker)).toEqual(["research", "analysis", "writer"]);
    const researched = recorder.step("supervisor/node:research#0").output as SupervisorState;
    expect(researched.findings.map((finding) => [finding.source, finding.query])).toEqual([
      ["doc://pricing", "lambda pricing GB-second duration"],
      ["doc://graviton", "lambda pricing GB-second duration"],
      ["doc://power-tuning", "right-size lambda memory"],
      ["doc://logs-retention", "cloudwatch logs retention cost"],
    ]);
    const final = nodes.at(-1)?.output as SupervisorState;
    expect(final.routes).toEqual([
      { next: "research", reason: "research is pending: Find what drives Lambda cost and which levers AWS documents for reducing it." },
      { next: "analysis", reason: "analysis is pending: Break down the latest month of lambda-costs by function and estimate the arm64 saving." },
      { next: "writer", reason: "writer is pending: Draft a short report with the numbers and prioritised recommendations, citing sources." },
      { next: "done", reason: "every step of the plan has produced its result" },
    ]);
    expect(final.draft).toMatch(/^# Lambda cost review: 2025-09\n/);
  });

  it("records model calls with their model, provider and token usage, and tool calls with their arguments", async () => {
    await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0 });
    const planner = recorder.span("supervisor/node:planner#0/llm:planner#0");
    const response = recorder.step("supervisor/node:planner#0/llm:planner#0").output as { usage: { inputTokens: number; outputTokens: number } };
    expect(planner.attributes[GenAI.REQUEST_MODEL]).toBe("scripted-converse-1");
    expect(planner.attributes[GenAI.PROVIDER_NAME]).toBe("tracewright.scripted");
    expect(planner.attributes[GenAI.USAGE_INPUT_TOKENS]).toBe(response.usage.inputTokens);
    expect(planner.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(response.usage.outputTokens);
    expect(response.usage.outputTokens).toBeGreaterThan(50);

    expect(recorder.step("supervisor/node:research#0/tool:fetch_document#0").input).toEqual({ id: "doc://pricing" });
    expect(recorder.step("supervisor/node:analysis#0/tool:compute_stats#1").input).toEqual({ dataset: "lambda-costs", metric: "cost_usd", groupBy: "function", where: { month: "2025-09" } });
  });

  it("records the scenario and fault with the input, so the run can be run again as it was", async () => {
    await runSupervisor({ goal: "g", scenario: "rate_limit_then_ok", fault: "rate_limit_then_ok", latencyScale: 0, retry: { maxAttempts: 3, baseDelayMs: 1 } });
    expect(recorder.step("supervisor").input).toEqual({ goal: "g", scenario: "rate_limit_then_ok", fault: "rate_limit_then_ok" });
  });

  it("fails a run whose router never says done, after the routing limit", async () => {
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, model: withRouter(() => '{"next":"research","reason":"more reading"}'), sessions: memorySessionStore() });
    expect(result.status).toBe("error");
    expect(result.error).toBeInstanceOf(RoutingError);
    expect((result.error as Error).message).toBe(`no "done" after ${MAX_ROUTING_DECISIONS} routing decisions (${Array(MAX_ROUTING_DECISIONS).fill("research").join(" → ")})`);
    // Research reads each document once, however often it is sent back.
    expect(recorder.keys().filter((key) => key.includes("tool:fetch_document"))).toHaveLength(4);
  });

  it("fails a run whose router says done before the report exists", async () => {
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, model: withRouter(() => '{"next":"done","reason":"nothing to do"}'), sessions: memorySessionStore() });
    expect(result.status).toBe("error");
    expect((result.error as Error).message).toBe('the router said "done" before analysis produced statistics');
    expect(recorder.step("supervisor").status).toBe("error");
  });

  it("rejects an empty goal before starting a run", async () => {
    await expect(runSupervisor({ goal: " " })).rejects.toThrow("runSupervisor: `goal` must be a non-empty string");
    expect(recorder.spans()).toHaveLength(0);
  });
});
