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
async function* model(answer: string, failAfter?: number): AsyncGenerator<Record<string, unknown>> {
  modelCalls++;
  let sent = 0;
  for (const word of answer.split(/(?= )/)) {
    if (sent++ === failAfter) throw Object.assign(new Error("the model stopped mid-answer"), { name: "APIConnectionError" });
    await new Promise((resolve) => setImmediate(resolve));
    yield { choices: [{ index: 0, delta: { content: word } }], usage: null };
  }
  yield { choices: [], usage: { prompt_tokens: 12, completion_tokens: 5 } };
}

/** An agent that keeps the partial answer of a stream that breaks off, and goes on with it. */
function keepsPartial(revive?: (event: unknown) => Record<string, unknown>): ReplayableAgent {
  return replayable("partial", async () => {
    const stream = await llmStream({ model: "gpt-4o-mini", messages: [{ role: "user", content: "plan" }] }, () => model("run image-resize on arm64", 2), revive === undefined ? {} : { revive });
    let text = "";
    try {
      for await (const chunk of stream) text += ((chunk.choices as { delta: { content?: string } }[])[0]?.delta.content ?? "");
    } catch (error) {
      return tool("apply", { plan: text, cutShort: (error as Error).name }, (args) => ({ applied: args.plan.length }));
    }
    return "complete";
  });
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

  it("reproduce: a stream that broke off midway opens again, yields what came and throws in the loop, as it ran", async () => {
    modelCalls = 0;
    const { runId, spans } = await recordRun(store(), keepsPartial());
    expect(spans.find((s) => s.attributes["tracewright.step.kind"] === "llm")?.status.code).toBe(2);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [keepsPartial()] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(modelCalls).toBe(1);
    expect(report.stats).toMatchObject({ live: 0 });
  });

  it("a revive that throws on a served event fails the call with REPLAY_REVIVE_FAILED, and the replay ends", async () => {
    const { runId } = await recordRun(store(), keepsPartial((e) => e as Record<string, unknown>));
    const report = await replay({
      store: store(),
      runId,
      mode: "reproduce",
      agents: [
        keepsPartial(() => {
          throw new Error("no such chunk class");
        }),
      ],
    });
    expect(report.outcome).toBe("diverged");
    expect(report.error).toMatch(/The revive option of llm gpt-4o-mini \(partial\/llm:gpt-4o-mini#0\) threw on its recorded result: no such chunk class/);
  });

  it("a failed step that is no stream is served its error, whatever output its span carries", async () => {
    const agent = replayable("careful", async () => {
      try {
        return await tool("t", {}, () => {
          throw new Error("boom");
        });
      } catch (error) {
        return `caught ${(error as Error).message}`;
      }
    });
    // Other code set an output on the failed span (a custom boundary, another exporter's copy).
    const { runId } = await recordRun(store(), agent, {
      edit: (spans) => spans.map((s) => (s.attributes["tracewright.step.kind"] === "tool" ? { ...s, attributes: { ...s.attributes, "output.value": '{"partial":true}' } } : s)),
    });
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent] });
    expect(report.outcome, report.summary).toBe("reproduced");
  });
});
