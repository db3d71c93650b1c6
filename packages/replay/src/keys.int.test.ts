import { llm, run, tool } from "@tracewright/instrument";
import { loadRunDetail } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";

// Names with a '/' in them are everyday: router model ids (`openai/gpt-4o`, `meta-llama/…`),
// Bedrock inference-profile ARNs, namespaced tools (`mcp/search`). A step key is cut at '/' by
// every reader (its parent, its name), so such a name must stay one segment of the key.

const store = storePerTest();

const router = replayable("team/router", async () => {
  const answer = await llm({ model: "openai/gpt-4o", messages: [{ role: "user", content: "hi" }] }, () => ({ text: "search it" }));
  const found = await tool("mcp/search", { q: answer.text }, () => tool("http/get", { url: "/x" }, () => "page"));
  return run("sub/agent", { found }, () => `done: ${found}`);
});

describe("step names containing '/'", () => {
  it("are listed by their names, under the right parents, and the run reproduces", async () => {
    const { runId } = await recordRun(store(), router);
    const detail = await loadRunDetail(store(), runId);
    expect(detail?.run.agent).toBe("team/router");
    expect(detail?.steps.map((s) => [s.name, s.kind, s.depth])).toEqual([
      ["team/router", "agent", 0],
      ["openai/gpt-4o", "llm", 1],
      ["mcp/search", "tool", 1],
      ["http/get", "tool", 2],
      ["sub/agent", "agent", 1],
    ]);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [router] });
    expect(report.outcome).toBe("reproduced");
    expect(report.divergences).toEqual([]);
    expect(report.stats).toMatchObject({ live: 0, unused: 0 });
  });
});
