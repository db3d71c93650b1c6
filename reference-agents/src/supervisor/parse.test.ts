import { describe, expect, it } from "vitest";
import { ModelOutputError } from "../errors.js";
import type { ConverseResponse, StopReason } from "../model/types.js";
import { parsePlan, parseRoute } from "./parse.js";

const reply = (text: string, stopReason: StopReason = "end_turn"): ConverseResponse => ({
  output: { message: { role: "assistant", content: [{ text }] } },
  stopReason,
  usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  metrics: { latencyMs: 0 },
});

const plan = {
  objective: "cut costs",
  steps: [
    { worker: "research", task: "read" },
    { worker: "writer", task: "write" },
  ],
  searchQueries: ["lambda pricing"],
  dataset: "lambda-costs",
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("parsePlan", () => {
  it("reads a plan, bare or in a Markdown fence", () => {
    expect(parsePlan(reply(JSON.stringify(plan)))).toEqual(plan);
    expect(parsePlan(reply(`\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\``))).toEqual(plan);
  });

  it("says the reply was cut off when it is not JSON", () => {
    const text = JSON.stringify(plan).slice(0, 40);
    const parse = () => parsePlan(reply(text, "max_tokens"));
    expect(parse).toThrow(ModelOutputError);
    expect(parse).toThrow(/^planner reply is not valid JSON \(stopReason: max_tokens\): /);
    const error = thrown(parse);
    expect(error).toBeInstanceOf(ModelOutputError);
    expect((error as ModelOutputError).reply).toBe(text);
    expect((error as ModelOutputError).cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    [[], "expected a JSON object"],
    [{ ...plan, steps: [] }, '"steps" must be a non-empty array'],
    [{ ...plan, steps: [{ worker: "janitor", task: "x" }] }, 'steps[0] must be {"worker": "research" | "analysis" | "writer", "task": string}'],
    [{ ...plan, searchQueries: ["ok", ""] }, '"searchQueries" must be an array of non-empty strings'],
    [{ ...plan, dataset: 3 }, '"dataset" must be a non-empty string'],
  ])("rejects a plan of the wrong shape: %j", (value, message) => {
    expect(() => parsePlan(reply(JSON.stringify(value)))).toThrow(`planner reply has the wrong shape: ${message}`);
  });
});

describe("parseRoute", () => {
  it("reads a route and its reason", () => {
    expect(parseRoute(reply('{"next":"analysis","reason":"numbers next"}'))).toEqual({ next: "analysis", reason: "numbers next" });
    expect(parseRoute(reply('{"next":"done"}'))).toEqual({ next: "done", reason: "" });
  });

  it("rejects a route to a worker that does not exist", () => {
    expect(() => parseRoute(reply('{"next":"janitor"}'))).toThrow('router reply has the wrong shape: expected {"next": "research" | "analysis" | "writer" | "done", "reason": string}');
  });
});
