import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Tracewright } from "@tracewright/instrument";
import { PlanRejectedError, ReferenceAgentError, SessionStoreError } from "../errors.js";
import type { SessionStore } from "../state/store.js";
import { memorySessionStore } from "../state/store.js";
import { spanRecorder } from "../test-support/spans.js";
import { SUPERVISOR_GOAL, runSupervisor } from "./agent.js";
import type { Approver } from "./agent.js";
import type { ApprovalRequest, SupervisorReport, SupervisorSession, SupervisorState } from "./types.js";
import { APPROVAL_QUESTION } from "./workers.js";

const recorder = spanRecorder();
beforeAll(() => recorder.install());
afterAll(() => recorder.uninstall());
beforeEach(() => recorder.reset());

const approving: Approver = () => ({ approved: true, comment: "go ahead" });

describe("the supervisor's session, loaded and saved at each invocation", () => {
  it("starts a session under a recorded uuid: loads nothing, saves the finished goal", async () => {
    const sessions = memorySessionStore();
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions });
    const id = recorder.step("supervisor/uuid:uuid#0").output as string;
    expect(recorder.step("supervisor/state:load#0")).toMatchObject({ kind: "state", input: { key: id }, output: null });
    const saved = recorder.step("supervisor/state:save#0");
    const report = result.output as SupervisorReport;
    const expected: SupervisorSession = { id, threadId: `${id}#0`, status: "done", invocations: 1, goal: SUPERVISOR_GOAL, pending: null, reports: [{ title: report.title, generatedAt: report.generatedAt, month: "2025-09" }], error: null };
    expect(saved.input).toEqual({ key: id, state: expected });
    expect(saved.output).toEqual({ key: id, bytes: JSON.stringify(expected).length });
    expect(await sessions.load(id)).toEqual(expected);
    // Every node ran in the session's graph thread, each at its own checkpoint.
    const nodes = recorder.spans().filter((span) => span.attributes[Tracewright.STEP_KIND] === "node");
    expect(new Set(nodes.map((span) => span.attributes[Tracewright.GRAPH_THREAD_ID]))).toEqual(new Set([`${id}#0`]));
    const checkpoints = nodes.map((span) => span.attributes[Tracewright.GRAPH_CHECKPOINT_ID]);
    expect(checkpoints.every((c) => typeof c === "string" && c.length > 0)).toBe(true);
    expect(new Set(checkpoints).size).toBe(nodes.length);
  });

  it("continues a session it is given: the next goal sees what the last one saved", async () => {
    const sessions = memorySessionStore();
    await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "team-finops" });
    recorder.reset();
    await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "team-finops" });
    expect(recorder.keys()).not.toContain("supervisor/uuid:uuid#0");
    expect(recorder.step("supervisor").input).toEqual({ goal: SUPERVISOR_GOAL, session: "team-finops" });
    expect(recorder.step("supervisor/state:load#0").output).toMatchObject({ id: "team-finops", invocations: 1, status: "done" });
    const saved = (recorder.step("supervisor/state:save#0").input as { state: SupervisorSession }).state;
    expect(saved).toMatchObject({ threadId: "team-finops#1", invocations: 2 });
    expect(saved.reports).toHaveLength(2);
  });

  it("saves a failed goal as failed, with the agent's error", async () => {
    const sessions = memorySessionStore();
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "s", fault: "agent_bug" });
    expect(result.error).toBeInstanceOf(TypeError);
    expect(await sessions.load("s")).toMatchObject({ status: "failed", error: "TypeError: Cannot read properties of undefined (reading 'total')", reports: [] });
  });

  it("fails the run at the load step when the store cannot be read, without calling the model", async () => {
    const broken: SessionStore = { description: "broken", load: () => Promise.reject(new SessionStoreError("SESSION_STORE_FAILED", "disk on fire")), save: () => Promise.resolve(0), close: () => Promise.resolve() };
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions: broken });
    expect((result.error as Error).message).toBe("disk on fire");
    expect(recorder.steps().filter((s) => s.status === "error").map((s) => s.key)).toEqual(["supervisor/state:load#0", "supervisor"]);
    expect(recorder.keys().some((key) => key.includes("llm:"))).toBe(false);
  });

  it("refuses a stored value that is not a supervisor session, naming the session and the store", async () => {
    const sessions = memorySessionStore();
    await sessions.save("odd", { hello: "world" });
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "odd" });
    expect(result.error).toBeInstanceOf(ReferenceAgentError);
    expect((result.error as Error).message).toBe('session "odd" in memory is not a supervisor session (expected id, threadId, status, invocations, reports)');
  });
});

describe("human approval of the plan", () => {
  it("interrupts the graph, saves the session as waiting, and resumes it with the human's answer", async () => {
    const sessions = memorySessionStore();
    const asked: ApprovalRequest[] = [];
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "s1", approval: true, approver: (request) => (asked.push(request), { approved: true, comment: "go ahead" }) });
    expect(result.status).toBe("ok");
    expect(recorder.keys().slice(0, 12)).toEqual([
      "supervisor/state:load#0",
      "supervisor/node:planner#0/llm:planner#0",
      "supervisor/node:planner#0",
      "supervisor/node:approve#0/human:input#0",
      "supervisor/node:approve#0",
      "supervisor/state:save#0",
      "supervisor/human:input#0",
      "supervisor/state:load#1",
      "supervisor/node:approve#1/human:input#0",
      "supervisor/node:approve#1",
      "supervisor/node:supervisor#0/llm:router#0",
      "supervisor/node:supervisor#0",
    ]);
    const planned = recorder.step("supervisor/node:planner#0").output as SupervisorState;
    const request = { question: APPROVAL_QUESTION, plan: planned.plan };
    expect(asked).toEqual([request]);
    // The first pass stopped the graph: suspended, not failed, and with no answer.
    const first = recorder.span("supervisor/node:approve#0/human:input#0");
    expect(first.attributes[Tracewright.STEP_SUSPENDED]).toBe(true);
    expect(recorder.step("supervisor/node:approve#0/human:input#0")).toMatchObject({ kind: "human", status: "ok", input: request });
    expect(recorder.step("supervisor/node:approve#0/human:input#0").output).toBeUndefined();
    // The session waited for the human, and the resumed invocation started from it.
    expect(recorder.step("supervisor/state:save#0").input).toMatchObject({ state: { status: "awaiting_approval", pending: request, invocations: 1, threadId: "s1#0" } });
    expect(recorder.step("supervisor/state:load#1").output).toMatchObject({ status: "awaiting_approval", invocations: 1 });
    // The answer is recorded where it entered the program and where the graph received it.
    expect(recorder.step("supervisor/human:input#0").output).toEqual({ approved: true, comment: "go ahead" });
    expect(recorder.step("supervisor/node:approve#1/human:input#0").output).toEqual({ approved: true, comment: "go ahead" });
    expect((recorder.step("supervisor/node:approve#1").output as SupervisorState).approval).toEqual({ approved: true, comment: "go ahead" });
    expect(recorder.span("supervisor/node:approve#1").attributes[Tracewright.GRAPH_THREAD_ID]).toBe("s1#0");
    expect(await sessions.load("s1")).toMatchObject({ status: "done", invocations: 2, pending: null });
  });

  it("ends the run when the human rejects the plan, before any work", async () => {
    const sessions = memorySessionStore();
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "s2", approval: true, approver: () => ({ approved: false, comment: "not this quarter" }) });
    expect(result.error).toBeInstanceOf(PlanRejectedError);
    expect((result.error as Error).message).toBe("the plan was rejected: not this quarter");
    expect(recorder.keys().some((key) => key.includes("node:research"))).toBe(false);
    expect(await sessions.load("s2")).toMatchObject({ status: "failed", error: "PlanRejectedError: the plan was rejected: not this quarter" });
  });

  it("refuses an answer that is not an approval, saying what it expected", async () => {
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions: memorySessionStore(), approval: true, approver: (() => "yes") as unknown as Approver });
    expect((result.error as Error).message).toBe('a plan approval must be {"approved": boolean, "comment"?: string}; got "yes"');
    expect(recorder.step("supervisor/node:approve#1").status).toBe("error");
  });

  it("does not resume a session another invocation moved on while the human was deciding", async () => {
    const sessions = memorySessionStore();
    const meddling: Approver = async (request) => {
      const stored = (await sessions.load("s3")) as SupervisorSession;
      await sessions.save("s3", { ...stored, status: "done" });
      return approving(request);
    };
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, latencyScale: 0, sessions, sessionId: "s3", approval: true, approver: meddling });
    expect((result.error as ReferenceAgentError).code).toBe("SESSION_CONFLICT");
    expect((result.error as Error).message).toBe('session "s3" is "done", not awaiting approval: another invocation moved it on');
    expect(recorder.keys()).not.toContain("supervisor/node:approve#1");
  });
});
