import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarize } from "./engine.js";
import type { DivergenceKind, ReplayReport } from "./types.js";

const schema = JSON.parse(readFileSync(new URL("../../../docs/replay-report.schema.json", import.meta.url), "utf8")) as {
  required: string[];
  properties: Record<string, unknown>;
  $defs: { divergence: { properties: { type: { enum: string[] } } } };
};

const KINDS: DivergenceKind[] = ["input_changed", "unexpected_call", "missing_call", "call_replaced", "state_mismatch", "error_mismatch"];

const report: ReplayReport = {
  runId: "a",
  replayRunId: "b",
  mode: "verify-fix",
  outcome: "completed",
  first: { type: "call_replaced", key: "s/node:r#0/tool:web_search#2", expected: { key: "s/node:r#0/tool:web_search#2", kind: "tool", name: "web_search" }, actual: { key: "s/node:r#0/llm:m#0", kind: "llm", name: "m" }, message: "recorded tool web_search at s/node:r#0/tool:web_search#2; this run called llm m" },
  divergences: [],
  stats: { hits: 3, live: 2, unused: 0, recordedSteps: 5, replayedSteps: 6, traceIdentical: false, replayMs: 1, recordedMs: 2 },
  unusedKeys: [],
  summary: "",
};

describe("the report and its JSON Schema (docs/replay-report.schema.json)", () => {
  it("the schema names exactly the report's fields and divergence kinds", () => {
    expect(Object.keys(schema.properties).sort()).toEqual(["divergences", "error", "first", "mode", "notes", "outcome", "replayRunId", "runId", "stats", "summary", "unusedKeys"]);
    for (const field of schema.required) expect(report).toHaveProperty(field);
    expect(schema.$defs.divergence.properties.type.enum).toEqual(KINDS);
  });

  it("summarizes in one line naming the first divergence", () => {
    const line = summarize(report);
    expect(line).toBe("verify-fix of run a completed as b; first divergence at s/node:r#0/tool:web_search#2 (call_replaced): recorded tool web_search at s/node:r#0/tool:web_search#2; this run called llm m (3 served, 2 live).");
    expect(line).not.toContain("\n");
    expect(summarize({ ...report, mode: "reproduce", outcome: "reproduced", first: undefined, error: "TypeError: x" } as ReplayReport)).toBe("Reproduced run a as b: the same 6 steps and the same error (TypeError: x) (3 served, 2 live).");
  });
});
