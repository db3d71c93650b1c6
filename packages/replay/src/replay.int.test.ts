import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { openSqliteStore } from "@tracewright/store";
import type { TraceStore } from "@tracewright/store";
import { replayEntryPoints, runScenario, runSupervisor, scenarios, SUPERVISOR_GOAL } from "@tracewright/reference-agents";
import type { AgentName } from "@tracewright/reference-agents";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashJson } from "@tracewright/instrument";
import { isRunStart, OpenInference, Tracewright } from "@tracewright/instrument/conventions";
import { replay } from "./engine.js";
import { toRecording } from "./recording.js";
import { CollectingProcessor } from "./spans.js";

let store: TraceStore;
beforeEach(() => {
  store = openSqliteStore({ path: ":memory:" });
});
afterEach(async () => {
  await store.close();
});

/** Runs a reference scenario and records it into the store, as the collector would. */
async function record(agent: AgentName, scenario: string): Promise<string> {
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [collected] });
  const result = await runScenario(agent, scenario, { latencyScale: 0, runOptions: { tracer: provider.getTracer("test") } });
  await store.ingest(collected.spans);
  return result.runId;
}

/** The canonical trace of a run: keys, kinds, inputs, outputs, errors; no ids, no times. */
async function canonicalTrace(runId: string): Promise<unknown[]> {
  const { toRecording } = await import("./recording.js");
  const run = (await store.getRun(runId))!;
  return toRecording(run, await store.getRunSpans(runId)).steps.map((s) => [s.key, s.kind, s.inputHash, s.outputJson, s.error]);
}

describe("reproduce: every reference scenario replays exactly, with no live call", () => {
  for (const s of scenarios) {
    it(`${s.agent}/${s.scenario}`, async () => {
      const runId = await record(s.agent, s.scenario);
      const original = await store.getRun(runId);
      const reports = [];
      for (let i = 0; i < 3; i++) reports.push(await replay({ store, runId, mode: "reproduce", agents: replayEntryPoints }));
      for (const report of reports) {
        expect(report.divergences).toEqual([]);
        expect(report.outcome).toBe("reproduced");
        expect(report.stats.live).toBe(0);
        expect(report.stats.hits).toBeGreaterThan(0);
        expect(report.stats.unused).toBe(0);
        expect(report.stats.traceIdentical).toBe(true);
        const replayed = await store.getRun(report.replayRunId);
        expect(replayed?.status).toBe(original?.status);
        expect(replayed?.replayOf).toBe(runId);
        expect(await canonicalTrace(report.replayRunId)).toEqual(await canonicalTrace(runId));
      }
      if (s.expect === "error") expect(reports[0]!.error).toBeDefined();
      expect(new Set(reports.map((r) => r.replayRunId)).size).toBe(3);
      // The original is never modified.
      expect(await store.getRun(runId)).toEqual(original);
    });
  }
});

describe("run-start spans in a recording", () => {
  for (const agent of ["supervisor", "choreography"] as const) {
    it(`${agent}: are not steps — the recording is the same without them, and it reproduces with the same keys`, async () => {
      const runId = await record(agent, "success");
      const spans = await store.getRunSpans(runId);
      const starts = spans.filter(isRunStart);
      expect(starts.length).toBeGreaterThanOrEqual(1);
      const run = (await store.getRun(runId))!;
      const withStarts = toRecording(run, spans);
      const without = toRecording(run, spans.filter((s) => !isRunStart(s)));
      expect(withStarts.steps).toEqual(without.steps);
      expect(withStarts.root.key).toBe(agent);
      expect(withStarts.root.kind).toBe("agent");
      const report = await replay({ store, runId, mode: "reproduce", agents: replayEntryPoints });
      expect(report).toMatchObject({ outcome: "reproduced", divergences: [], stats: { live: 0, unused: 0, traceIdentical: true } });
      // The replay announced itself too, and its steps have the recorded keys, in order.
      const replayedSpans = await store.getRunSpans(report.replayRunId);
      expect(replayedSpans.filter(isRunStart)).toHaveLength(starts.length);
      const replayed = toRecording((await store.getRun(report.replayRunId))!, replayedSpans);
      expect(replayed.steps.map((s) => s.key)).toEqual(withStarts.steps.map((s) => s.key));
      expect((await store.getRun(report.replayRunId))?.steps).toBe(run.steps);
    });
  }
});

describe("verify-fix and fork on the reference agents", () => {
  it("replaying the agent_bug run with the bug fixed completes and shows where it diverged", async () => {
    const runId = await record("supervisor", "agent_bug");
    const report = await replay({ store, runId, mode: "verify-fix", agents: replayEntryPoints, fixes: ["agent_bug"] });
    expect(report.outcome).toBe("completed");
    expect(report.first).toMatchObject({ type: "error_mismatch", key: expect.stringContaining("node:analysis#0") as unknown as string });
    expect(report.stats.hits).toBeGreaterThan(0);
    expect(report.summary).toContain("completed");
    expect((await store.getRun(report.replayRunId))?.status).toBe("ok");
  });

  it("verify-fix without the fix reproduces the failure", async () => {
    const runId = await record("supervisor", "agent_bug");
    const report = await replay({ store, runId, mode: "verify-fix", agents: replayEntryPoints });
    expect(report.outcome).toBe("failed");
    expect(report.divergences).toEqual([]);
    expect(report.error).toContain("TypeError");
  });

  it("fork at a step serves everything before it, patches the state there, and goes live after", async () => {
    const runId = await record("supervisor", "tool_error");
    const recorded = await canonicalTrace(runId);
    const failing = (recorded as [string, string][]).find(([key]) => key.endsWith("tool:fetch_document#0"))![0];
    const report = await replay({ store, runId, mode: "fork", from: failing, state: { id: "doc://pricing", title: "patched", text: "Lambda pricing: $0.0000166667 per GB-second." }, agents: replayEntryPoints });
    const replayed = await canonicalTrace(report.replayRunId);
    // Every step before the fork point is as recorded…
    const forkIndex = (replayed as [string][]).findIndex(([key]) => key === failing);
    expect(forkIndex).toBeGreaterThan(0);
    expect(replayed.slice(0, forkIndex).map((s) => (s as unknown[])[0])).toEqual(recorded.slice(0, forkIndex).map((s) => (s as unknown[])[0]));
    // …the fork point served the patched state, and the calls after it ran live.
    const point = (await store.getRunSpans(report.replayRunId)).find((s) => s.attributes[Tracewright.STEP_KEY] === failing)!;
    expect(point.attributes).toMatchObject({ [Tracewright.REPLAY_FORK_POINT]: true, [Tracewright.REPLAY_SERVED]: true });
    expect(report.stats.hits).toBeGreaterThan(0);
    expect(report.stats.live).toBeGreaterThan(0);
    expect((await store.getRun(report.replayRunId))?.replayOf).toBe(runId);
    expect((await store.getRun(runId))?.status).toBe("error");
  });

  it("fork at a node records the state it ran with, patched, as its input, and marks the fork point", async () => {
    const runId = await record("supervisor", "success");
    const node = "supervisor/node:research#0";
    const recordedInput = JSON.parse((await store.getRunSpans(runId)).find((s) => s.attributes[Tracewright.STEP_KEY] === node)!.attributes[OpenInference.INPUT_VALUE] as string) as { plan: { searchQueries: string[] } };
    expect(recordedInput.plan.searchQueries.length).toBeGreaterThan(1);
    const patch = { plan: { searchQueries: recordedInput.plan.searchQueries.slice(0, 1) } };
    const report = await replay({ store, runId, mode: "fork", from: node, patch, agents: replayEntryPoints });
    const spans = await store.getRunSpans(report.replayRunId);
    const forked = spans.find((s) => s.attributes[Tracewright.STEP_KEY] === node)!;
    // The node's span started with the input its caller passed (the recorded one): it was recorded with that, hiding the patch.
    const input = JSON.parse(forked.attributes[OpenInference.INPUT_VALUE] as string) as typeof recordedInput;
    expect(input.plan.searchQueries).toEqual(patch.plan.searchQueries);
    expect(forked.attributes[Tracewright.INPUT_HASH]).toBe(hashJson(forked.attributes[OpenInference.INPUT_VALUE] as string));
    expect(forked.attributes[Tracewright.REPLAY_FORK_POINT]).toBe(true);
    // One search ran, as the patched plan asked; no other step is marked.
    expect(spans.filter((s) => String(s.attributes[Tracewright.STEP_KEY]).startsWith(`${node}/tool:web_search#`))).toHaveLength(1);
    expect(spans.filter((s) => s.attributes[Tracewright.REPLAY_FORK_POINT] === true)).toHaveLength(1);
  });

  it("replays one agent invocation of a choreography alone, from its recorded event", async () => {
    const runId = await record("choreography", "agent_bug");
    const steps = (await canonicalTrace(runId)) as [string, string][];
    const invocation = steps.find(([key, kind]) => kind === "agent" && /agent:analysis#1$/.test(key))![0];
    const alone = await replay({ store, runId, step: invocation, mode: "reproduce", agents: replayEntryPoints });
    expect(alone).toMatchObject({ outcome: "reproduced", divergences: [], stats: { live: 0, traceIdentical: true } });
    expect(alone.error).toContain("TypeError");
    expect((await store.getRun(alone.replayRunId))?.agent).toBe("analysis");
    const fixed = await replay({ store, runId, step: invocation, mode: "verify-fix", fixes: ["agent_bug"], agents: replayEntryPoints });
    expect(fixed.outcome).toBe("completed");
    // Fixed, the handler gets as far as publishing analysis.done: a call the failed recording never made.
    expect(fixed.first).toMatchObject({ type: "unexpected_call", key: "analysis/message:analysis.done#0" });
    await expect(replay({ store, runId, step: steps[1]![0], mode: "reproduce", agents: replayEntryPoints })).rejects.toThrow(/replaying one invocation alone takes an agent step/);
  });

  it("replays alone every invocation of a successful choreography, each without the consumers of what it published", async () => {
    const runId = await record("choreography", "success");
    const invocations = ((await canonicalTrace(runId)) as [string, string][]).filter(([key, kind]) => kind === "agent" && key.includes("/")).map(([key]) => key);
    // research publishes to analysis, analysis to the writer: three consumers, two of them publishers.
    expect(invocations.length).toBeGreaterThanOrEqual(3);
    for (const step of invocations) {
      const alone = await replay({ store, runId, step, mode: "reproduce", agents: replayEntryPoints });
      expect(alone, step).toMatchObject({ outcome: "reproduced", divergences: [], stats: { traceIdentical: true } });
    }
  });

  it("serves a human's recorded answer to the supervisor's plan instead of asking again", async () => {
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    const answer = { approved: true, comment: "approved by a person, not the scripted approver" };
    const recorded = await runSupervisor({ goal: SUPERVISOR_GOAL, approval: true, approver: () => answer, latencyScale: 0, runOptions: { tracer: provider.getTracer("test") } });
    await store.ingest(collected.spans);
    // The entry point's approver is the scripted one: the replayed answer can only come from the recording.
    const report = await replay({ store, runId: recorded.runId, mode: "reproduce", agents: replayEntryPoints });
    expect(report).toMatchObject({ outcome: "reproduced", divergences: [], stats: { live: 0 } });
    const { toRecording } = await import("./recording.js");
    const replayed = toRecording((await store.getRun(report.replayRunId))!, await store.getRunSpans(report.replayRunId));
    const approved = replayed.byKey.get("supervisor/node:approve#1");
    expect((JSON.parse(approved?.outputJson ?? "{}") as { approval: unknown }).approval).toEqual(answer);
    expect(replayed.byKey.get("supervisor/node:approve#0/human:input#0")?.suspended).toBe(true);
  });

  it("says clearly what is wrong with a bad request", async () => {
    await expect(replay({ store, runId: "nope", mode: "reproduce", agents: replayEntryPoints })).rejects.toThrow(/No run nope in the store/);
    const runId = await record("supervisor", "success");
    await expect(replay({ store, runId, mode: "reproduce", agents: [] })).rejects.toThrow(/agent "supervisor", which has no registered replay entry point/);
    await expect(replay({ store, runId, mode: "fork", agents: replayEntryPoints })).rejects.toThrow(/needs the step to fork from/);
    await expect(replay({ store, runId, mode: "fork", from: "supervisor/nope#0", agents: replayEntryPoints })).rejects.toThrow(/has no step supervisor\/nope#0/);
  });
});
