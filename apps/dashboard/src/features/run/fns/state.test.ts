import { describe, expect, it } from "vitest";
import { stateText, stepFacts } from "./state";

describe("stateText", () => {
  it("pretty-prints JSON states with their size", () => {
    const state = stateText({ a: [1, "é"] });
    expect(state).toEqual({ text: '{\n  "a": [\n    1,\n    "é"\n  ]\n}', bytes: 32, plain: false });
    expect(state.bytes).toBe(state.text.length + 1); // "é" is two bytes in UTF-8
    expect(stateText(null).text).toBe("null");
    expect(stateText(undefined).text).toBe("null");
  });

  it("shows text that was not JSON as recorded, markup included, as plain text", () => {
    const html = '<img src=x onerror="alert(1)">';
    expect(stateText(html)).toEqual({ text: html, bytes: html.length, plain: true });
  });

  it("never throws", () => {
    expect(stateText({ big: 1n }).plain).toBe(true);
  });
});

describe("stepFacts", () => {
  it("lists the known attributes in a fixed order, skipping others", () => {
    const facts = stepFacts({
      attributes: { "gen_ai.usage.cache_read.input_tokens": 900, "gen_ai.usage.output_tokens": 7, "gen_ai.request.model": "claude", other: "x", "gen_ai.tool.name": "" },
    });
    expect(facts).toEqual([
      { label: "model", value: "claude" },
      { label: "output tokens", value: "7" },
      { label: "cache read tokens", value: "900" },
    ]);
  });

  it("says where a fork went live and what a replay served, and a message step's queue and id", () => {
    expect(stepFacts({ attributes: { "tracewright.replay.fork_point": true, "tracewright.replay.served": true, "messaging.system": "aws_sqs", "messaging.destination.name": "jobs", "messaging.message.id": "m-1" } })).toEqual([
      { label: "messaging system", value: "aws_sqs" },
      { label: "destination", value: "jobs" },
      { label: "message id", value: "m-1" },
      { label: "fork point", value: "the fork went live here, with the patched state" },
      { label: "replay", value: "served from the recording" },
    ]);
    expect(stepFacts({ attributes: { "tracewright.replay.served": false } })).toEqual([]);
  });

  it("lists an array attribute's items: both payload refs of a step", () => {
    expect(stepFacts({ attributes: { "tracewright.payload.ref": ["aa11", "bb22"] } })).toEqual([{ label: "payload ref", value: "aa11, bb22" }]);
    expect(stepFacts({ attributes: { "tracewright.payload.ref": [] } })).toEqual([]);
  });
});
