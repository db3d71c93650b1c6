import { createServer } from "node:http";
import type { Server } from "node:http";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tracedBedrock } from "./bedrock.js";
import { init } from "./init.js";
import type { Tracing } from "./init.js";
import { run } from "./steps.js";

// The real Bedrock Runtime client against a local endpoint speaking Converse's REST-JSON protocol
// (over HTTP/1.1: the client's default HTTP/2 handler needs TLS, which a loopback test has not).
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
