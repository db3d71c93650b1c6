import { describe, expect, it } from "vitest";
import { ScriptError } from "../errors.js";
import type { ScriptRule } from "./scripted.js";
import { countTokens, createScriptedModel, lastUserText, simulatedLatencyMs, streamPieces } from "./scripted.js";
import type { ConverseRequest } from "./types.js";
import { replyText } from "./types.js";

const echo: ScriptRule = {
  name: "echo",
  matches: (request) => lastUserText(request).startsWith("echo "),
  reply: (request) => lastUserText(request).slice("echo ".length).toUpperCase(),
};
const truncate: ScriptRule = {
  name: "truncate",
  matches: (request) => lastUserText(request) === "long",
  reply: () => ({ text: "cut", stopReason: "max_tokens" }),
};

const ask = (text: string, system?: string): ConverseRequest => ({
  model: "scripted-converse-1",
  ...(system === undefined ? {} : { system: [{ text: system }] }),
  messages: [{ role: "user", content: [{ text }] }],
});

describe("createScriptedModel", () => {
  it("answers the same request with the same response, usage and latency every time", async () => {
    const model = createScriptedModel([echo]);
    const first = await model.converse(ask("echo hello there", "Be brief."));
    const second = await createScriptedModel([echo]).converse(ask("echo hello there", "Be brief."));
    expect(second).toEqual(first);
    expect(first).toEqual({
      output: { message: { role: "assistant", content: [{ text: "HELLO THERE" }] } },
      stopReason: "end_turn",
      usage: { inputTokens: 4 + 5, outputTokens: 4, totalTokens: 13 },
      metrics: { latencyMs: simulatedLatencyMs(ask("echo hello there", "Be brief.")) },
    });
  });

  it("derives latency from the whole request, key order aside, within 5–20 ms", () => {
    const request = ask("echo a");
    const reordered: ConverseRequest = { messages: request.messages, model: request.model };
    expect(simulatedLatencyMs(reordered)).toBe(simulatedLatencyMs(request));
    const latencies = Array.from({ length: 200 }, (_, i) => simulatedLatencyMs(ask(`echo ${i}`)));
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(20);
    // Spread across the range, not a constant.
    expect(new Set(latencies).size).toBeGreaterThan(10);
  });

  it("waits the simulated latency, scaled, and not at all at scale 0", async () => {
    const request = ask("echo wait");
    const expected = simulatedLatencyMs(request);
    const slow = createScriptedModel([echo], { latencyScale: 3 });
    const started = performance.now();
    const response = await slow.converse(request);
    expect(performance.now() - started).toBeGreaterThanOrEqual(expected * 3 - 2);
    expect(response.metrics.latencyMs).toBe(expected * 3);
    const instant = await createScriptedModel([echo], { latencyScale: 0 }).converse(request);
    expect(instant.metrics.latencyMs).toBe(0);
    expect(replyText(instant)).toBe(replyText(response));
    expect(() => createScriptedModel([echo], { latencyScale: -1 })).toThrow(RangeError);
  });

  it("uses the first matching rule and passes its stop reason through", async () => {
    const model = createScriptedModel([truncate, echo], { latencyScale: 0 });
    const response = await model.converse(ask("long"));
    expect(response.stopReason).toBe("max_tokens");
    expect(replyText(response)).toBe("cut");
  });

  it("rejects a request no rule matches, naming what it saw", async () => {
    const model = createScriptedModel([echo], { latencyScale: 0 });
    const failure = model.converse(ask("summarise this", "You are a summariser.\nMore rules."));
    await expect(failure).rejects.toBeInstanceOf(ScriptError);
    await expect(failure).rejects.toThrow('system prompt starts "You are a summariser.", last user message starts "summarise this"');
  });
});

describe("countTokens", () => {
  it("counts a token per four characters of a word and one per punctuation mark", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("cost")).toBe(1);
    expect(countTokens("costs")).toBe(2);
    expect(countTokens('{"next": "done"}')).toBe(2 + 7);
    expect(countTokens("Graviton cuts 20% — über-cheap")).toBe(2 + 1 + 1 + 1 + 1 + 1 + 1 + 2);
  });

  it("streams the same answer in pieces, as ConverseStream sends it: the text joined back exactly, the stop reason and usage last", async () => {
    const model = createScriptedModel([echo], { latencyScale: 0 });
    const request = ask("echo one two three four five six seven eight nine ten  eleven");
    const whole = await model.converse(request);
    const events = [];
    for await (const event of await model.converseStream!(request)) events.push(event);
    expect(events[0]).toEqual({ messageStart: { role: "assistant" } });
    const pieces = events.flatMap((e) => ("contentBlockDelta" in e ? [e.contentBlockDelta.delta.text] : []));
    expect(pieces).toEqual(["ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT ", "NINE TEN  ELEVEN"]);
    expect(pieces.join("")).toBe(replyText(whole));
    expect(events.slice(-2)).toEqual([{ messageStop: { stopReason: whole.stopReason } }, { metadata: { usage: whole.usage, metrics: whole.metrics } }]);
    expect(streamPieces("  lead and trail  ")).toEqual(["  lead and trail  "]);
    // A request no rule matches fails the call when it is made, before any event.
    await expect(model.converseStream!(ask("no rule"))).rejects.toBeInstanceOf(ScriptError);
  });
});
