import { hashJson, llm, node, tool } from "@tracewright/instrument";
import { canonicalJson } from "@tracewright/instrument/shared";
import type { SpanRecord } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// States are recorded with their keys in the order the agent built them, and replay hands them
// back so. The commonest agent loop writes a tool's result into the next model call as text
// (`content: JSON.stringify(result)`, as OpenAI-style tool messages are): a result handed back
// with its keys in another order would make that text, and the model call's input, differ.

const store = storePerTest();

/** What the agent saw of the tool's result, run by run. */
const seen: string[][] = [];

/** The tool's result puts `zeta` before `alpha`; `swap` (a changed agent) builds the model request's fields in another order. */
function agent(swap = false): ReplayableAgent {
  return replayable("ordered", async () => {
    const found = await tool("lookup", { q: "pricing" }, () => ({ zeta: 1, alpha: { y: 2, b: 3 } }));
    seen.push(Object.keys(found));
    const messages = [{ role: "tool", content: JSON.stringify(found) }];
    const request = swap ? { messages, model: "m", temperature: 0 } : { model: "m", temperature: 0, messages };
    const answer = await llm(request, async () => ({ text: "ok", usage: { input_tokens: 3, output_tokens: 1 } }));
    return node("finish", { answer, found }, (s) => ({ keys: Object.keys(s.found), text: s.answer.text }));
  });
}

describe("key order", () => {
  it("reproduce hands a state back with its keys in their recorded order, so text built from it is the same", async () => {
    seen.length = 0;
    const { runId, spans } = await recordRun(store(), agent());
    const lookup = spans.find((s) => s.attributes["tracewright.step.key"] === "ordered/tool:lookup#0");
    expect(lookup?.attributes["output.value"]).toBe('{"zeta":1,"alpha":{"y":2,"b":3}}');
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent()] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(seen).toEqual([["zeta", "alpha"], ["zeta", "alpha"]]);
  });

  it("verify-fix takes an input that differs only in key order for the same input", async () => {
    const { runId } = await recordRun(store(), agent());
    const report = await replay({ store: store(), runId, mode: "verify-fix", agents: [agent(true)] });
    expect(report.outcome, report.summary).toBe("completed");
    expect(report.first).toBeUndefined();
    expect(report.stats.live).toBe(0);
  });

  it("reproduces a recording whose states were written with their keys sorted (as Tracewright wrote them before it kept the agent's order)", async () => {
    // The same agent but for the text built from a result: what such a recording reproduces.
    const plain = replayable("sorted", async () => {
      const found = await tool("lookup", { q: "pricing", at: 1 }, () => ({ zeta: 1, alpha: { y: 2, b: 3 } }));
      return node("finish", { found, n: 1 }, (s) => ({ z: s.found.zeta, a: s.n }));
    });
    const sortedStates = (spans: SpanRecord[]): SpanRecord[] =>
      spans.map((span) => {
        const attributes = { ...span.attributes };
        for (const key of ["input.value", "output.value"]) {
          const text = attributes[key];
          if (typeof text === "string") attributes[key] = canonicalJson(JSON.parse(text)) as string;
        }
        if (typeof attributes["input.value"] === "string" && attributes["tracewright.input.hash"] !== undefined) attributes["tracewright.input.hash"] = hashJson(attributes["input.value"]);
        return { ...span, attributes };
      });
    const { runId, spans } = await recordRun(store(), plain, { edit: sortedStates });
    expect(spans.find((s) => s.attributes["tracewright.step.key"] === "sorted/tool:lookup#0")?.attributes["output.value"]).toBe('{"alpha":{"b":3,"y":2},"zeta":1}');
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [plain] });
    expect(report.outcome, report.summary).toBe("reproduced");
    const fixed = await replay({ store: store(), runId, mode: "verify-fix", agents: [plain] });
    expect(fixed.outcome, fixed.summary).toBe("completed");
    expect(fixed.first).toBeUndefined();
  });
});
