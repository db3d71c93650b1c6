import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Tracewright } from "@tracewright/instrument";
import { runScenario, scenarios } from "../scenarios.js";
import { spanRecorder, withoutClockAndUuids } from "../test-support/spans.js";
import { DeadLetterError } from "./agents.js";
import { InProcessBus, ruleMatches } from "./bus.js";
import type { Rule } from "./bus.js";

const recorder = spanRecorder();
beforeAll(() => recorder.install());
afterAll(() => recorder.uninstall());
beforeEach(() => recorder.reset());

const rules: Rule[] = [
  { name: "a", detailType: ["x"], queue: "q1" },
  { name: "b", detailType: ["x", "y"], detail: { kind: ["big"] }, queue: "q2" },
];

describe("the in-process bus", () => {
  it("routes by detail-type and detail fields, EventBridge-style", () => {
    expect(ruleMatches(rules[1]!, { detailType: "y", detail: { kind: "big" } })).toBe(true);
    expect(ruleMatches(rules[1]!, { detailType: "y", detail: { kind: "small" } })).toBe(false);
    expect(ruleMatches(rules[0]!, { detailType: "y", detail: {} })).toBe(false);
  });

  it("delivers at least once: a message not deleted comes back after the visibility timeout, then goes to the DLQ", async () => {
    const bus = new InProcessBus(rules, { visibilityTimeoutMs: 1000, maxReceiveCount: 2 });
    const id = await bus.putEvent({ detailType: "x", detail: { kind: "big" }, carried: {} });
    expect(bus.pending("q1")).toBe(1);
    expect(bus.pending("q2")).toBe(1);
    const [first] = await bus.receive("q1", 10);
    expect(first).toMatchObject({ messageId: id, receiveCount: 1 });
    expect(await bus.receive("q1", 10)).toEqual([]); // invisible
    bus.advance(999);
    expect(await bus.receive("q1", 10)).toEqual([]);
    bus.advance(1);
    const [second] = await bus.receive("q1", 10);
    expect(second?.receiveCount).toBe(2);
    await bus.delete("q1", first!.receiptHandle); // a stale receipt deletes nothing
    expect(bus.pending("q1")).toBe(1);
    bus.advance(1000);
    expect(await bus.receive("q1", 10)).toEqual([]); // past maxReceiveCount: redriven
    expect((await bus.deadLetters("q1")).map((m) => m.messageId)).toEqual([id]);
    const [other] = await bus.receive("q2", 10);
    await bus.delete("q2", other!.receiptHandle);
    expect(bus.pending("q2")).toBe(0);
    await expect(bus.receive("nope", 1)).rejects.toThrow('No queue "nope"');
  });
});

describe.each(scenarios.filter((s) => s.agent === "choreography"))("choreography/$scenario (expect $expect)", (scenario) => {
  it("ends as the registry says, as one connected run", async () => {
    const result = await runScenario("choreography", scenario.scenario, { latencyScale: 0 });
    expect(result.status).toBe(scenario.expect);
    if (scenario.expect === "error") expect(result.error).toBeInstanceOf(DeadLetterError);
    const spans = recorder.spans();
    expect(new Set(spans.map((s) => s.attributes[Tracewright.RUN_ID]))).toEqual(new Set([result.runId]));
    const roots = spans.filter((s) => s.parentSpanContext === undefined);
    expect(roots.map((s) => s.name)).toEqual(["invoke_agent choreography"]);
    const consumers = spans.filter((s) => s.kind === 4).map((s) => String(s.attributes[Tracewright.STEP_KEY]));
    expect(consumers.length).toBeGreaterThan(0);
    for (const key of consumers) expect(key).toMatch(/^choreography\/node:intake#0\/message:goal\.received#0\/agent:research#\d/);
  });

  it("is deterministic: two runs give the same step keys and states", async () => {
    // The report carries the recorded clock; the hash of an input holding it is masked with it.
    const steps = () => withoutClockAndUuids(recorder.steps());
    await runScenario("choreography", scenario.scenario, { latencyScale: 0 });
    const first = steps();
    recorder.reset();
    await runScenario("choreography", scenario.scenario, { latencyScale: 0 });
    expect(steps()).toEqual(first);
  });
});

describe("choreography faults", () => {
  it("a poison message is retried maxReceiveCount times, then dead-lettered", async () => {
    const result = await runScenario("choreography", "poison_message", { latencyScale: 0 });
    expect((result.error as Error).message).toBe('goal.received (evt-1) moved to the research dead-letter queue after 3 receives; last error: PoisonMessageError: goal.received without a goal: {"request":"Find the biggest savings on our AWS Lambda bill and say what to change first."}');
    const attempts = recorder.spans().filter((s) => s.name === "invoke_agent research").map((s) => s.attributes[Tracewright.STEP_KEY]);
    expect(attempts).toEqual([0, 1, 2].map((n) => `choreography/node:intake#0/message:goal.received#0/agent:research#${n}`));
  });

  it("a malformed model reply fails the first delivery and the redelivery succeeds", async () => {
    const result = await runScenario("choreography", "malformed_model_output", { latencyScale: 0 });
    expect(result.status).toBe("ok");
    const research = recorder.spans().filter((s) => s.name === "invoke_agent research");
    expect(research.map((s) => s.status.code)).toEqual([2, 0]);
  });
});
