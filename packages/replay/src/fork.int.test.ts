import { llm, node, runWithResult, tool } from "@tracewright/instrument";
import type { RunOptions } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { recordRun, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// A fork must start where it was asked to, or say why it did not: never "completed, no
// divergence" with the patch applied nowhere.

const store = storePerTest();

/** A tool whose function calls a model (recorded inside it), then a review node the fix removes. */
const lead: ReplayableAgent = {
  name: "lead",
  run: (input: unknown, options: RunOptions, context) =>
    runWithResult(
      "lead",
      input,
      async () => {
        const found = await tool("research", { topic: "lambda" }, async (args) => (await llm({ model: "scripted", messages: [args.topic] }, () => ({ text: "summary" }))).text);
        const reviewed = context.fixes.includes("no-review") ? found : await node("review", { found }, (s) => `${s.found} (reviewed)`);
        return tool("write", { reviewed }, (r) => `report: ${r.reviewed}`);
      },
      options,
    ),
};

describe("fork: where it starts", () => {
  it("from a step recorded inside a boundary: refused, naming the boundary to fork from instead", async () => {
    const { runId } = await recordRun(store(), lead);
    const error = await replay({ store: store(), runId, mode: "fork", from: "lead/tool:research#0/llm:scripted#0", patch: { text: "patched" }, agents: [lead] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REPLAY_FORK_INSIDE_BOUNDARY" });
    expect((error as Error).message).toContain("inside tool research (lead/tool:research#0)");
    expect((error as Error).message).toContain("--from lead/tool:research#0");
  });

  it("from a step the current code never reaches: the report says so (missing_call at the fork point), and nothing went live", async () => {
    const { runId } = await recordRun(store(), lead);
    const report = await replay({ store: store(), runId, mode: "fork", from: "lead/node:review#0", patch: { found: "other" }, fixes: ["no-review"], agents: [lead] });
    expect(report.first).toMatchObject({ type: "missing_call", key: "lead/node:review#0" });
    expect(report.first?.message).toContain("fork point");
    expect(report.stats.live).toBe(0);
    expect(report.summary).toContain("lead/node:review#0");
  });

  it("from a boundary: its recorded output patched, every call after it live", async () => {
    const { runId } = await recordRun(store(), lead);
    const report = await replay({ store: store(), runId, mode: "fork", from: "lead/tool:research#0", state: "other summary", agents: [lead] });
    expect(report).toMatchObject({ outcome: "completed", divergences: [], stats: { hits: 1, live: 1 } });
    const spans = await store().getRunSpans(report.replayRunId);
    expect(spans.find((s) => s.attributes["tracewright.step.key"] === "lead/tool:write#0")?.attributes["output.value"]).toBe(JSON.stringify("report: other summary (reviewed)"));
  });
});
