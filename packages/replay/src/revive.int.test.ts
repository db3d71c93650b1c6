import { AIMessage } from "@langchain/core/messages";
import type { AIMessageFields } from "@langchain/core/messages";
import { llm, tool } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// A call that returns an instance of a class — a LangChain chat model's AIMessage, a URL — is
// recorded as JSON: what its toJSON wrote, or its fields. Replay hands that back unless the call
// says how to rebuild it (`revive`).

const store = storePerTest();

/** What the agent read of its results, run by run. */
const seen: unknown[] = [];

function agent(withRevive: boolean, reviveThrows = false): ReplayableAgent {
  return replayable("classes", async () => {
    const message = await llm(
      { model: "chat", messages: [{ role: "user", content: "find it" }] },
      () => new AIMessage({ content: "", tool_calls: [{ name: "find", args: { q: "pricing" }, id: "call-1", type: "tool_call" }] }),
      withRevive ? { revive: (v) => (reviveThrows ? JSON.parse("{") : new AIMessage((v as { kwargs: AIMessageFields }).kwargs)) as AIMessage } : {},
    );
    const call = message.tool_calls?.[0];
    const url = await tool("find", call?.args ?? {}, () => new URL("https://example.com/docs?page=2"), withRevive ? { revive: (v) => new URL(v as string) } : {});
    seen.push([message instanceof AIMessage, call?.args, url.searchParams.get("page")]);
    return { page: url.searchParams.get("page") };
  });
}

describe("results that are instances of a class", () => {
  it("are rebuilt by the call's revive when replay serves them, and the run reproduces", async () => {
    seen.length = 0;
    const { runId } = await recordRun(store(), agent(true));
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent(true)] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(seen).toEqual([
      [true, { q: "pricing" }, "2"],
      [true, { q: "pricing" }, "2"],
    ]);
  });

  it("come back as their recorded JSON without one, which the agent's code does not expect", async () => {
    seen.length = 0;
    const { runId } = await recordRun(store(), agent(false));
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent(false)] });
    expect(report.outcome).toBe("diverged");
    expect(seen).toHaveLength(1);
    // The report says what the agent's failure does not: which served result was a LangChain object's JSON.
    expect(report.notes).toEqual([expect.stringContaining("classes/llm:chat#0 (AIMessage)")]);
    expect(report.notes?.[0]).toContain("revive");
    expect(report.summary).toContain("Served as recorded JSON");
  });

  it("say nothing of it when the run reproduces, or when the call has a revive", async () => {
    const { runId } = await recordRun(store(), agent(true));
    expect((await replay({ store: store(), runId, mode: "reproduce", agents: [agent(true)] })).notes).toBeUndefined();
    // A plain-JSON agent whose served LangChain JSON it only passes along reproduces: nothing to note.
    const passing = replayable("passing", async () => {
      const message = await llm({ model: "chat", messages: [] }, () => new AIMessage("ok"));
      return { said: (message as unknown as { kwargs?: { content?: unknown } }).kwargs?.content ?? message.content };
    });
    const recorded = await recordRun(store(), passing);
    const report = await replay({ store: store(), runId: recorded.runId, mode: "reproduce", agents: [passing] });
    expect(report.notes, report.summary).toBeUndefined();
  });

  it("a revive that throws fails the served step with what it threw, named", async () => {
    const { runId } = await recordRun(store(), agent(true));
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent(true, true)] });
    expect(report.outcome).toBe("diverged");
    expect(report.error).toMatch(/The revive option of llm chat \(classes\/llm:chat#0\) threw on its recorded result/);
  });
});
