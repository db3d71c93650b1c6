import { llmStream, tool } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// A streamed model call (llmStream) is recorded as its events; replay hands them back as the
// stream, and the agent that read the stream into a prompt or a tool's arguments reproduces.

const store = storePerTest();

/** How many times the model was really asked. */
let modelCalls = 0;

/** A model streaming its answer in OpenAI's chunk shape, a word at a time, across event-loop turns. */
async function* model(answer: string): AsyncGenerator<Record<string, unknown>> {
  modelCalls++;
  for (const word of answer.split(/(?= )/)) {
    await new Promise((resolve) => setImmediate(resolve));
    yield { choices: [{ index: 0, delta: { content: word } }], usage: null };
  }
  yield { choices: [], usage: { prompt_tokens: 12, completion_tokens: 5 } };
}

function agent(question: string): ReplayableAgent {
  return replayable("streamer", async () => {
    const stream = await llmStream({ model: "gpt-4o-mini", messages: [{ role: "user", content: question }] }, () => model("run image-resize on arm64"), { provider: "openai" });
    let text = "";
    for await (const chunk of stream) text += ((chunk.choices as { delta: { content?: string } }[])[0]?.delta.content ?? "");
    // The streamed answer becomes a tool's arguments: served differently, the tool's input would change.
    return tool("apply", { plan: text }, (args) => ({ applied: args.plan.length }));
  });
}

describe("streamed model calls", () => {
  it("reproduce: the recorded chunks are the stream, the model is not asked, the run is the same", async () => {
    modelCalls = 0;
    const { runId } = await recordRun(store(), agent("where should image-resize run?"));
    expect(modelCalls).toBe(1);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent("where should image-resize run?")] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(modelCalls).toBe(1);
    expect(report.stats).toMatchObject({ live: 0 });
  });

  it("verify-fix: a changed prompt diverges at the streamed call, with its input diff", async () => {
    const { runId } = await recordRun(store(), agent("where should image-resize run?"));
    const report = await replay({ store: store(), runId, mode: "verify-fix", agents: [agent("which architecture for image-resize?")], onDivergence: "stop" });
    expect(report.first).toMatchObject({ key: "streamer/llm:gpt-4o-mini#0", type: "input_changed", inputDiff: [{ op: "replace", path: "/messages/0/content", value: "which architecture for image-resize?" }] });
    expect(report.summary).toContain("streamer/llm:gpt-4o-mini#0");
  });
});
