import { describe, expect, it } from "vitest";
import type { Step } from "@tracewright/store";
import { buildAgentGraph } from "./graph";

function step(key: string, kind: string, status: "ok" | "error" = "ok"): Step {
  const slash = key.lastIndexOf("/");
  const last = key.slice(slash + 1);
  const name = last.includes(":") ? last.slice(last.indexOf(":") + 1, last.lastIndexOf("#")) : last;
  return { key, kind, name, parentKey: slash === -1 ? null : key.slice(0, slash), status, startTime: "", durationMs: 1, input: null, output: null, spanId: key, depth: 0, attributes: {} };
}

describe("buildAgentGraph", () => {
  it("draws the supervisor's routes, loops counted, failures marked", () => {
    const graph = buildAgentGraph([
      step("s", "agent"),
      step("s/node:plan#0", "node"),
      step("s/node:plan#0/llm:planner#0", "llm"),
      step("s/node:supervisor#0", "node"),
      step("s/node:research#0", "node"),
      step("s/node:supervisor#1", "node"),
      step("s/node:analysis#0", "node", "error"),
    ]);
    expect(graph.nodes).toEqual(["s", "plan", "supervisor", "research", "analysis"]);
    expect(graph.routes).toEqual([
      { from: "start", to: "plan", count: 1, failed: 0 },
      { from: "plan", to: "supervisor", count: 1, failed: 0 },
      { from: "supervisor", to: "research", count: 1, failed: 0 },
      { from: "research", to: "supervisor", count: 1, failed: 0 },
      { from: "supervisor", to: "analysis", count: 1, failed: 1 },
    ]);
    expect(graph.hops).toEqual([]);
  });

  it("draws a choreography's hops through their queues, redeliveries counted", () => {
    const m = "c/node:intake#0/message:goal.received#0";
    const graph = buildAgentGraph([
      step("c", "agent"),
      step("c/node:intake#0", "node"),
      step(m, "message"),
      step(`${m}/agent:research#0`, "agent", "error"),
      step(`${m}/agent:research#1`, "agent"),
      step(`${m}/agent:research#1/message:research.done#0`, "message"),
      step(`${m}/agent:research#1/message:research.done#0/agent:analysis#0`, "agent"),
    ]);
    expect(graph.hops).toEqual([
      { from: "c", to: "research", via: "goal.received", count: 2, failed: 1 },
      { from: "research", to: "analysis", via: "research.done", count: 1, failed: 0 },
    ]);
  });
});
