import { createServer } from "node:http";
import { crc32 } from "node:zlib";
import type { Server, ServerResponse } from "node:http";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tracedBedrock } from "./bedrock.js";
import { init } from "./init.js";
import type { Tracing } from "./init.js";
import { run, runWithResult } from "./steps.js";
import { servingModelCalls } from "./recording.fixtures.js";
import { revive } from "./serialize.js";

// The real Bedrock Runtime client against a local endpoint speaking Converse's REST-JSON protocol
// and ConverseStream's binary event stream (over HTTP/1.1: the client's default HTTP/2 handler
// needs TLS, which a loopback test has not).

/** One message of the AWS event-stream encoding: prelude, CRC, string headers, JSON payload, CRC. */
function eventMessage(headers: Record<string, string>, body: unknown): Buffer {
  const head = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(v.length);
      return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), len, v]);
    }),
  );
  const payload = Buffer.from(JSON.stringify(body));
  const prelude = Buffer.alloc(8);
  prelude.writeUInt32BE(12 + head.length + payload.length + 4, 0);
  prelude.writeUInt32BE(head.length, 4);
  const preludeCrc = Buffer.alloc(4);
  preludeCrc.writeUInt32BE(crc32(prelude));
  const message = Buffer.concat([prelude, preludeCrc, head, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(message));
  return Buffer.concat([message, crc]);
}

const streamEvent = (type: string, body: unknown) => eventMessage({ ":event-type": type, ":content-type": "application/json", ":message-type": "event" }, body);

/** Lets the stream's second half go once the test has seen its first event: true streaming, or a timeout. */
let releaseRest: () => void = () => undefined;

/** Whether the last stream's connection was closed by the client before the server ended it. */
let closedEarly: Promise<boolean> = Promise.resolve(false);

async function streamReply(res: ServerResponse, failMidway: boolean): Promise<void> {
  closedEarly = new Promise((resolve) => res.on("close", () => resolve(!res.writableEnded)));
  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
  res.write(streamEvent("messageStart", { role: "assistant" }));
  res.write(streamEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Move image-resize" } }));
  await new Promise<void>((resolve) => (releaseRest = resolve));
  if (failMidway) {
    res.end(eventMessage({ ":exception-type": "modelStreamErrorException", ":content-type": "application/json", ":message-type": "exception" }, { message: "the model stopped mid-answer" }));
    return;
  }
  res.write(streamEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: " to arm64." } }));
  res.write(streamEvent("contentBlockStop", { contentBlockIndex: 0 }));
  res.write(streamEvent("messageStop", { stopReason: "end_turn" }));
  res.end(streamEvent("metadata", { usage: { inputTokens: 42, outputTokens: 7, totalTokens: 49, cacheReadInputTokens: 10 }, metrics: { latencyMs: 12 } }));
}
let server: Server;
let endpoint = "";
const seen: { path: string; body: Record<string, unknown> }[] = [];
const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      seen.push({ path: decodeURIComponent(req.url ?? ""), body: JSON.parse(raw) as Record<string, unknown> });
      if (req.url?.endsWith("/converse-stream") === true) {
        void streamReply(res, raw.includes("fail midway"));
        return;
      }
      if (raw.includes("throttle me")) {
        res.writeHead(429, { "content-type": "application/json", "x-amzn-errortype": "ThrottlingException" }).end(JSON.stringify({ message: "Too many requests" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ output: { message: { role: "assistant", content: [{ text: "Move image-resize to arm64." }] } }, stopReason: "end_turn", usage: { inputTokens: 42, outputTokens: 7, totalTokens: 1201, cacheReadInputTokens: 1024, cacheWriteInputTokens: 128 }, metrics: { latencyMs: 12 } }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false });
});
afterAll(async () => {
  server.close();
  await tracing.shutdown();
});

const client = () => new BedrockRuntimeClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" }, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

describe("Bedrock Converse", () => {
  it("records a Converse call as an llm step with provider, model and token usage, prompt cache included", async () => {
    const bedrock = tracedBedrock(client());
    const reply = await run("bedrock-agent", {}, () => bedrock.converse<{ output: { message: { content: { text: string }[] } } }>({ modelId: "anthropic.claude-3-5-haiku", messages: [{ role: "user", content: [{ text: "what first?" }] }] }, { name: "planner" }));
    expect(reply.output.message.content[0]?.text).toBe("Move image-resize to arm64.");
    expect(seen.at(-1)?.path).toBe("/model/anthropic.claude-3-5-haiku/converse");
    expect(seen.at(-1)?.body).toEqual({ messages: [{ role: "user", content: [{ text: "what first?" }] }] });
    const span = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "bedrock-agent/llm:planner#0")!;
    expect(span.attributes).toMatchObject({ "gen_ai.provider.name": "aws.bedrock", "gen_ai.request.model": "anthropic.claude-3-5-haiku", "gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 7, "gen_ai.usage.cache_read.input_tokens": 1024, "gen_ai.usage.cache_creation.input_tokens": 128, "gen_ai.operation.name": "chat" });
    expect(String(span.attributes["output.value"])).not.toContain("$metadata");
  });

  it("records a throttled call as an error step named by the SDK's exception", async () => {
    const bedrock = tracedBedrock(client());
    await expect(run("bedrock-agent", {}, () => bedrock.converse({ modelId: "m", messages: [{ role: "user", content: [{ text: "throttle me" }] }] }))).rejects.toMatchObject({ name: "ThrottlingException" });
    const failed = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "bedrock-agent/llm:m#0" && s.status.code === 2);
    expect(failed?.events[0]?.attributes?.["exception.type"]).toBe("ThrottlingException");
  });
});

/** Reads a stream through, releasing the server's second half on the first event; fails on a stall instead of hanging. */
async function readAll(stream: AsyncIterable<Record<string, unknown>>): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  const stall = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the stream stalled: its first event never came before the whole stream")), 5000).unref());
  await Promise.race([
    (async () => {
      for await (const event of stream) {
        events.push(event);
        if (events.length === 1) releaseRest();
      }
    })(),
    stall,
  ]);
  return events;
}

const deltas = (events: Record<string, unknown>[]) => events.map((e) => (e.contentBlockDelta as { delta?: { text?: string } } | undefined)?.delta?.text).filter((t) => t !== undefined).join("");

describe("Bedrock ConverseStream", () => {
  const request = { modelId: "anthropic.claude-3-5-haiku", messages: [{ role: "user", content: [{ text: "stream it" }] }] };

  it("hands each event on as it comes, and records the step when the stream ends: every event, token usage", async () => {
    const bedrock = tracedBedrock(client());
    let events: Record<string, unknown>[] = [];
    await run("streamer", {}, async () => {
      const response = await bedrock.converseStream(request, { name: "writer" });
      events = await readAll(response.stream);
    });
    expect(seen.at(-1)?.path).toBe("/model/anthropic.claude-3-5-haiku/converse-stream");
    expect(deltas(events)).toBe("Move image-resize to arm64.");
    expect(events.map((e) => Object.keys(e)[0])).toEqual(["messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);
    const span = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "streamer/llm:writer#0")!;
    expect(span.attributes).toMatchObject({ "gen_ai.provider.name": "aws.bedrock", "gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 7, "gen_ai.usage.cache_read.input_tokens": 10 });
    expect((revive(String(span.attributes["output.value"])) as { events: unknown[] }).events).toEqual(events);
  });

  it("replays the recorded events as the stream, without calling the model", async () => {
    const bedrock = tracedBedrock(client());
    const recorded = await runWithResult("streamer", {}, async () => readAll((await bedrock.converseStream(request)).stream));
    const step = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "streamer/llm:anthropic.claude-3-5-haiku#0" && s.spanContext().traceId === recorded.traceId)!;
    const served = revive(String(step.attributes["output.value"]));
    // Serves the recorded output for that key, as replay does; everything else runs live.
    const interceptor = servingModelCalls(served, step.attributes["tracewright.step.key"]);
    const calls = seen.length;
    const replayed = await runWithResult("streamer", {}, async () => readAll((await bedrock.converseStream(request)).stream), { interceptor });
    expect(seen.length).toBe(calls);
    expect(replayed.output).toEqual(recorded.output);
    expect(deltas(replayed.output ?? [])).toBe("Move image-resize to arm64.");
  });

  it("a stream that fails midway throws to its reader after the events that came, and records the step's error", async () => {
    const bedrock = tracedBedrock(client());
    const got: Record<string, unknown>[] = [];
    const result = await runWithResult("streamer", {}, async () => {
      const response = await bedrock.converseStream({ modelId: "m", messages: [{ role: "user", content: [{ text: "fail midway" }] }] });
      for await (const event of response.stream) {
        got.push(event);
        if (got.length === 1) releaseRest();
      }
    });
    expect(result.status).toBe("error");
    expect(result.error).toMatchObject({ name: "ModelStreamErrorException", message: "the model stopped mid-answer" });
    expect(deltas(got)).toBe("Move image-resize");
    const failed = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "streamer/llm:m#0" && s.status.code === 2);
    expect(failed?.events[0]?.attributes?.["exception.type"]).toBe("ModelStreamErrorException");
    // Replayed: the call opens, the event that came is yielded, and the reader's loop throws the error.
    const served = revive(String(failed?.attributes["output.value"]));
    const interceptor = servingModelCalls(served);
    const calls = seen.length;
    const again: Record<string, unknown>[] = [];
    const replayed = await runWithResult(
      "streamer",
      {},
      async () => {
        const response = await bedrock.converseStream({ modelId: "m", messages: [{ role: "user", content: [{ text: "fail midway" }] }] });
        for await (const event of response.stream) again.push(event);
      },
      { interceptor },
    );
    expect(seen.length).toBe(calls);
    expect(again).toEqual(got);
    expect(replayed.error).toMatchObject({ name: "ModelStreamErrorException", message: "the model stopped mid-answer" });
  });

  it("a reader that stops early closes the model's stream there: the step ends with what came, marked abandoned", async () => {
    const bedrock = tracedBedrock(client());
    const result = await runWithResult("streamer", {}, async () => {
      const response = await bedrock.converseStream({ modelId: "early", messages: [{ role: "user", content: [{ text: "stop early" }] }] });
      for await (const event of response.stream) if (event.messageStart !== undefined) break;
      // Read once, as the SDK's own stream.
      expect(() => response.stream[Symbol.asyncIterator]()).toThrow(/can be read once/);
      return "stopped";
    });
    expect(result.output).toBe("stopped");
    // The server never sent the rest: the client closed the connection.
    expect(await closedEarly).toBe(true);
    releaseRest();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const span = exporter.getFinishedSpans().find((s) => s.attributes["tracewright.step.key"] === "streamer/llm:early#0")!;
    const recorded = revive(String(span.attributes["output.value"])) as { events: Record<string, unknown>[]; abandoned?: boolean };
    expect(recorded.abandoned).toBe(true);
    expect(recorded.events.length).toBeGreaterThanOrEqual(1);
    expect(recorded.events.length).toBeLessThanOrEqual(2);
  });

  it("refuses, with what it got, an output served for it that is no recorded stream (a fork's state in Converse's shape)", async () => {
    const bedrock = tracedBedrock(client());
    const interceptor = servingModelCalls({ output: { message: {} } });
    const result = await runWithResult("streamer", {}, async () => (await bedrock.converseStream(request)).stream, { interceptor });
    expect(result.status).toBe("error");
    expect(result.error).toMatchObject({ code: "STREAM_NOT_RECORDED" });
    expect(String((result.error as Error).message)).toMatch(/^The output served for a streamed model call is not a recorded stream \(\{ events: \[\.\.\.\] \}\); got object with keys output\. /);
  });
});

