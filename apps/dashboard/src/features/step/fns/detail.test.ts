import type { Step } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { statePayload, stateUrl, toStepDetail, wholeState } from "./detail";

const step: Step = {
  key: "a/tool:fetch#0",
  kind: "tool",
  name: "fetch",
  parentKey: "a",
  status: "error",
  startTime: "2026-01-01T00:00:00.000Z",
  durationMs: 12,
  input: { url: "doc://x" },
  output: "x".repeat(300),
  error: { type: "Error", message: "503", stack: "Error: 503\n at f" },
  spanId: "00ff00ff00ff00ff",
  depth: 1,
  attributes: { "gen_ai.tool.name": "fetch", "gen_ai.usage.input_tokens": 3 },
};

describe("step detail", () => {
  it("keeps small states inline and sends the size and address of large ones", () => {
    const detail = toStepDetail("run/1", step, 200);
    expect(detail.input).toEqual({ kind: "json", bytes: 17, value: { url: "doc://x" } });
    expect(detail.output).toEqual({ kind: "large", bytes: 300, url: "/api/runs/run%2F1/spans/00ff00ff00ff00ff/output" });
    expect(detail.error).toEqual(step.error);
    expect(detail.facts).toEqual([
      { label: "input tokens", value: "3" },
      { label: "tool", value: "fetch" },
    ]);
  });

  it("counts UTF-8 bytes and keeps recorded text as text", () => {
    expect(wholeState("é")).toEqual({ kind: "text", bytes: 2, text: "é" });
    expect(wholeState(undefined)).toEqual({ kind: "json", bytes: 4, value: null });
    expect(wholeState({ n: 1n }).kind).toBe("text");
    expect(statePayload("<script>", stateUrl("r", "s", "input"))).toEqual({ kind: "text", bytes: 8, text: "<script>" });
  });
});
