import { createServer } from "node:http";
import type { Server, ServerResponse } from "node:http";
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { init } from "./init.js";
import type { Tracing } from "./init.js";
import { revive } from "./serialize.js";
import { runWithResult } from "./steps.js";
import { servingModelCalls } from "./recording.fixtures.js";
import { llmStream, mergedUsage } from "./stream.js";

// The real OpenAI SDK against a local endpoint speaking chat completions' server-sent events.

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1764633600,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta, finish_reason: null }],
  usage: null,
  ...extra,
});

/** Lets the stream's second half go once the test has read its first chunks: true streaming. */
let releaseRest: () => void = () => undefined;
/** Whether the last stream's connection was closed by the client before the server ended it. */
let closedEarly: Promise<boolean> = Promise.resolve(false);

async function streamReply(res: ServerResponse, prompt: string): Promise<void> {
  closedEarly = new Promise((resolve) => res.on("close", () => resolve(!res.writableEnded)));
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (data: unknown): boolean => res.write(`data: ${JSON.stringify(data)}\n\n`);
  send(chunk({ role: "assistant", content: "" }));
  send(chunk({ content: "Move image-resize" }));
  await new Promise<void>((resolve) => (releaseRest = resolve));
  if (prompt.includes("fail midway")) {
    res.end(`data: ${JSON.stringify({ error: { message: "the model stopped mid-answer", type: "server_error" } })}\n\n`);
    return;
  }
  send(chunk({ content: " to arm64." }));
  send({ ...chunk({}), choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  send({ ...chunk({}), choices: [], usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49, prompt_tokens_details: { cached_tokens: 10 } } });
  res.end("data: [DONE]\n\n");
}

let server: Server;
let requests = 0;
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let openai: OpenAI;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      requests++;
      const body = JSON.parse(raw) as { messages: { content: string }[]; stream?: boolean };
      if (body.messages[0]?.content === "unauthorized") {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } }));
        return;
      }
      void streamReply(res, body.messages[0]?.content ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  openai = new OpenAI({ apiKey: "sk-test", baseURL: `http://127.0.0.1:${address.port}/v1`, maxRetries: 0 });
  tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false });
});

afterAll(async () => {
  await tracing.shutdown();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => exporter.reset());

const request = (content: string) => ({ model: "gpt-4o-mini", messages: [{ role: "user" as const, content }], stream_options: { include_usage: true } });
const open = (req: ReturnType<typeof request>) => openai.chat.completions.create({ ...req, stream: true });
const text = (chunks: readonly ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
const stepSpan = () => exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.kind"] === "llm");

describe("llmStream with the OpenAI SDK", () => {
  it("hands each chunk to the reader as it comes, and records them all with the usage when the stream ends", async () => {
    const got: ChatCompletionChunk[] = [];
    const result = await runWithResult("writer", {}, async () => {
      const stream = await llmStream(request("where to run image-resize?"), open, { provider: "openai" });
      for await (const c of stream) {
        got.push(c);
        // The step cannot have ended: the server holds the rest until the reader has the first half.
        if (got.length === 2) {
          expect(stepSpan()).toBeUndefined();
          releaseRest();
        }
      }
      return text(got);
    });
    expect(result.output).toBe("Move image-resize to arm64.");
    const span = stepSpan()!;
    expect(span.attributes).toMatchObject({
      "tracewright.step.key": "writer/llm:gpt-4o-mini#0",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 42,
      "gen_ai.usage.output_tokens": 7,
      "gen_ai.usage.cache_read.input_tokens": 10,
    });
    const recorded = revive(String(span.attributes["output.value"])) as { events: unknown[]; usage: unknown; abandoned?: true };
    expect(recorded.events).toEqual(JSON.parse(JSON.stringify(got)));
    expect(recorded.events).toHaveLength(5);
    expect(recorded.usage).toEqual({ prompt_tokens: 42, completion_tokens: 7, total_tokens: 49, prompt_tokens_details: { cached_tokens: 10 } });
    expect(recorded.abandoned).toBeUndefined();
  });

  it("replays the recorded chunks as the stream, without calling the model", async () => {
    const read = async () => {
      const stream = await llmStream(request("where to run image-resize?"), open, { provider: "openai" });
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of stream) {
        chunks.push(c);
        if (chunks.length === 2) releaseRest();
      }
      return text(chunks);
    };
    const recorded = await runWithResult("writer", {}, read);
    const step = stepSpan()!;
    const served = revive(String(step.attributes["output.value"]));
    const interceptor = servingModelCalls(served, step.attributes["tracewright.step.key"]);
    const before = requests;
    const replayed = await runWithResult("writer", {}, read, { interceptor });
    expect(requests).toBe(before);
    expect(replayed.output).toBe(recorded.output);
    expect(replayed.output).toBe("Move image-resize to arm64.");
  });

  it("a stream that fails midway throws to its reader after the chunks that came, and records the step's error", async () => {
    const got: ChatCompletionChunk[] = [];
    const result = await runWithResult("writer", {}, async () => {
      for await (const c of await llmStream(request("fail midway"), open)) {
        got.push(c);
        if (got.length === 2) releaseRest();
      }
    });
    expect(result.status).toBe("error");
    expect(result.error).toBeInstanceOf(OpenAI.APIError);
    expect((result.error as Error).message).toContain("the model stopped mid-answer");
    expect(text(got)).toBe("Move image-resize");
    const span = stepSpan()!;
    expect(span.status.code).toBe(2);
    expect(span.events[0]?.attributes?.["exception.message"]).toContain("the model stopped mid-answer");
    // The events that came are recorded beside the error.
    const recorded = revive(String(span.attributes["output.value"])) as { events: unknown[]; error: Error };
    expect(recorded.events).toEqual(JSON.parse(JSON.stringify(got)));
    expect(recorded.error.message).toContain("the model stopped mid-answer");
  });

  it("a stream that failed midway replays as it ran: the call opens, the chunks come, the reader's loop throws the error", async () => {
    const agent = async () => {
      const chunks: ChatCompletionChunk[] = [];
      // Handled around the loop: the call itself opened fine.
      const stream = await llmStream(request("fail midway"), open);
      try {
        for await (const c of stream) {
          chunks.push(c);
          if (chunks.length === 2) releaseRest();
        }
      } catch (error) {
        return `partial "${text(chunks)}", then ${(error as Error).message}`;
      }
      return "complete";
    };
    const recorded = await runWithResult("writer", {}, agent);
    expect(recorded.output).toBe('partial "Move image-resize", then the model stopped mid-answer');
    const step = stepSpan()!;
    const served = revive(String(step.attributes["output.value"]));
    exporter.reset();
    const interceptor = servingModelCalls(served, step.attributes["tracewright.step.key"]);
    const before = requests;
    const replayed = await runWithResult("writer", {}, agent, { interceptor });
    expect(requests).toBe(before);
    expect(replayed.output).toBe(recorded.output);
    // The served step fails as the recorded one did.
    expect(stepSpan()?.status.code).toBe(2);
    expect(stepSpan()?.events[0]?.attributes?.["exception.message"]).toContain("the model stopped mid-answer");
  });

  it("a failure to open the stream rejects the call with the SDK's error and fails the step", async () => {
    const result = await runWithResult("writer", {}, async () => llmStream(request("unauthorized"), open));
    expect(result.status).toBe("error");
    expect(result.error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(stepSpan()?.status.code).toBe(2);
  });

  it("a reader that stops early closes the model's stream there: the step ends with what came, marked abandoned", async () => {
    const result = await runWithResult("writer", {}, async () => {
      const stream = await llmStream(request("stop early"), open);
      for await (const c of stream) if (c.choices[0]?.delta?.content === "Move image-resize") break;
      expect(() => stream[Symbol.asyncIterator]()).toThrow(/can be read once/);
      return "stopped";
    });
    expect(result.output).toBe("stopped");
    // The server never sent the rest: the client closed the connection (the SDK's controller aborted).
    expect(await closedEarly).toBe(true);
    releaseRest();
    const recorded = revive(String(stepSpan()!.attributes["output.value"])) as { events: unknown[]; abandoned?: true };
    expect(recorded.abandoned).toBe(true);
    expect(recorded.events).toHaveLength(2);
  });
});

describe("llmStream", () => {
  it("serves a replayed stream's events through revive, and refuses a served output that is no recorded stream", async () => {
    class Chunk {
      constructor(readonly text: string) {}
    }
    const source = async function* () {
      yield new Chunk("never read");
    };
    const replayed = await runWithResult(
      "writer",
      {},
      async () => {
        const texts: string[] = [];
        for await (const c of await llmStream({ model: "m" }, source, { revive: (v) => new Chunk((v as { text: string }).text) })) texts.push(c instanceof Chunk ? c.text : "not revived");
        return texts;
      },
      { interceptor: servingModelCalls({ events: [{ text: "a" }, { text: "b" }] }) },
    );
    expect(replayed.output).toEqual(["a", "b"]);
    const refused = await runWithResult("writer", {}, async () => llmStream({ model: "m" }, source), { interceptor: servingModelCalls({ choices: [] }) });
    expect((refused.error as Error).message).toMatch(/^The output served for a streamed model call is not a recorded stream \(\{ events: \[\.\.\.\] \}\); got object with keys choices\. The recording made this call unstreamed/);
  });

  it("reads a sync iterable as a stream, refuses a source that is none by name, and a returned stream records as an empty object", async () => {
    const read = await runWithResult("writer", {}, async () => {
      const out: string[] = [];
      for await (const e of await llmStream({ model: "m" }, () => ["a", "b"])) out.push(e);
      return out;
    });
    expect(read.output).toEqual(["a", "b"]);
    // Promises in a sync source are awaited, as `for await` does: the recording holds what the reader got.
    const awaited = await runWithResult("writer", {}, async () => {
      const out: unknown[] = [];
      for await (const e of await llmStream({ model: "promised" }, () => [Promise.resolve({ a: 1 }), Promise.resolve({ a: 2 })])) out.push(e);
      return out;
    });
    expect(awaited.output).toEqual([{ a: 1 }, { a: 2 }]);
    const promised = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "writer/llm:promised#0");
    expect((revive(String(promised?.attributes["output.value"])) as { events: unknown[] }).events).toEqual([{ a: 1 }, { a: 2 }]);
    // An iterator whose result is no object fails the stream there, as `for await` would.
    const badResult = { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(5) }) } as unknown as AsyncIterable<string>;
    const bad = await runWithResult("writer", {}, async () => {
      for await (const e of await llmStream({ model: "m" }, () => badResult)) void e;
    });
    expect((bad.error as Error).message).toBe("Iterator result 5 is not an object");
    const none = await runWithResult("writer", {}, async () => llmStream({ model: "m" }, () => 42 as unknown as AsyncIterable<string>));
    expect(none.error).toMatchObject({ code: "STREAM_SOURCE_INVALID", message: "A streamed model call's source must be an async iterable of events (the SDK's stream); got number." });
    // Whether or not the step has read on, the stream itself is no state: the run's output is the same text.
    const returned = await runWithResult("writer", {}, async () => llmStream({ model: "m" }, () => ["a"]));
    const root = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "writer" && s.spanContext().traceId === returned.traceId);
    expect(root?.attributes["output.value"]).toBe("{}");
  });

  it("a stream that throws undefined midway replays as throwing it, not as ending", async () => {
    const source = async function* () {
      yield "a";
      throw undefined;
    };
    const agent = async () => {
      const out: string[] = [];
      try {
        for await (const e of await llmStream({ model: "m" }, source)) out.push(e);
      } catch (error) {
        return [...out, `threw ${String(error)}`];
      }
      return [...out, "ended"];
    };
    const recorded = await runWithResult("writer", {}, agent);
    expect(recorded.output).toEqual(["a", "threw undefined"]);
    const step = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.kind"] === "llm" && s.spanContext().traceId === recorded.traceId)!;
    const served = revive(String(step.attributes["output.value"]));
    const interceptor = servingModelCalls(served);
    expect((await runWithResult("writer", {}, agent, { interceptor })).output).toEqual(["a", "threw undefined"]);
  });

  it("merges usage from the events as Anthropic streams it: input at message_start, output at message_delta", () => {
    expect(
      mergedUsage([
        { type: "message_start", message: { usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: null } } },
        { type: "content_block_delta", delta: { type: "text_delta", text: "Hi" } },
        { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 15 } },
      ]),
    ).toEqual({ input_tokens: 25, output_tokens: 15 });
    expect(mergedUsage([{ usage: null }, "text", null])).toBeUndefined();
  });

  it("an event whose usage cannot be read leaves the usage out, and the stream as it was", async () => {
    const hostile = {
      get usage(): never {
        throw new Error("a getter that throws");
      },
    };
    const result = await runWithResult("writer", {}, async () => {
      const out: unknown[] = [];
      for await (const e of await llmStream({ model: "m" }, () => [hostile, "b"])) out.push(e);
      return out.length;
    });
    expect(result).toMatchObject({ status: "ok", output: 2 });
  });
});
