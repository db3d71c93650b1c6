import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GenAI } from "@tracewright/instrument";
import { UnknownNameError } from "../errors.js";
import { memorySessionStore } from "../state/store.js";
import { spanRecorder } from "../test-support/spans.js";
import { SUPERVISOR_GOAL, runSupervisor } from "../supervisor/agent.js";
import { supervisorScript } from "../supervisor/script.js";
import type { SupervisorReport } from "../supervisor/types.js";
import { BEDROCK_PROVIDER, bedrockModel } from "./bedrock.js";
import { resolveModel } from "./resolve.js";
import { createScriptedModel, SCRIPTED_PROVIDER } from "./scripted.js";
import type { ConverseRequest } from "./types.js";

// The real Bedrock Runtime client against a local endpoint speaking Converse's REST-JSON
// protocol, answering with the supervisor's script: the whole agent runs over the wire.
// HTTP/1.1: the client's default HTTP/2 handler needs TLS, which a loopback test has not.
const MODEL_ID = "anthropic.claude-3-5-haiku-20241022-v1:0";
const recorder = spanRecorder();
const scripted = createScriptedModel(supervisorScript, { latencyScale: 0 });
let server: Server;
let endpoint = "";
const paths: string[] = [];
let throttleNext = 0;

beforeAll(async () => {
  recorder.install();
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      paths.push(decodeURIComponent(req.url ?? ""));
      if (throttleNext > 0) {
        throttleNext--;
        res.writeHead(429, { "content-type": "application/json", "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/" }).end(JSON.stringify({ message: "Too many requests, please wait before trying again." }));
        return;
      }
      const body = JSON.parse(raw) as Omit<ConverseRequest, "model">;
      scripted.converse({ ...body, model: MODEL_ID }).then(
        (reply) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply)),
        (error: Error) => res.writeHead(400, { "content-type": "application/json", "x-amzn-errortype": "ValidationException" }).end(JSON.stringify({ message: error.message })),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await recorder.uninstall();
});
beforeEach(() => {
  recorder.reset();
  paths.length = 0;
});

const client = () => new BedrockRuntimeClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" }, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

describe("Bedrock Converse as the supervisor's model", () => {
  it("runs the whole supervisor over Converse, each call an llm step of provider aws.bedrock", async () => {
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, model: bedrockModel({ modelId: MODEL_ID, client: client() }), sessions: memorySessionStore() });
    expect(result.status).toBe("ok");
    expect((result.output as SupervisorReport).title).toBe("Lambda cost review: 2025-09");
    expect(paths).toHaveLength(6);
    expect(new Set(paths)).toEqual(new Set([`/model/${MODEL_ID}/converse`]));
    const planner = recorder.span("supervisor/node:planner#0/llm:planner#0");
    expect(planner.attributes).toMatchObject({ [GenAI.PROVIDER_NAME]: BEDROCK_PROVIDER, [GenAI.REQUEST_MODEL]: MODEL_ID });
    expect(planner.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBeGreaterThan(50);
    expect(JSON.stringify(recorder.step("supervisor/node:planner#0/llm:planner#0").output)).not.toContain("$metadata");
  });

  it("backs off on Bedrock's ThrottlingException and records each attempt", async () => {
    throttleNext = 2;
    const result = await runSupervisor({ goal: SUPERVISOR_GOAL, model: bedrockModel({ modelId: MODEL_ID, client: client() }), sessions: memorySessionStore(), retry: { maxAttempts: 3, baseDelayMs: 1 } });
    expect(result.status).toBe("ok");
    const attempts = recorder.steps().filter((step) => step.key.startsWith("supervisor/node:planner#0/llm:planner#"));
    expect(attempts.map((step) => [step.status, step.error?.type])).toEqual([
      ["error", "ThrottlingException"],
      ["error", "ThrottlingException"],
      ["ok", undefined],
    ]);
  });
});

describe("resolveModel", () => {
  it("takes the model given, else TRACEWRIGHT_AGENT_MODEL's, else the scripted one", () => {
    const given = createScriptedModel([], { id: "given" });
    expect(resolveModel(given, supervisorScript, 0, `bedrock:${MODEL_ID}`)).toBe(given);
    expect(resolveModel(undefined, supervisorScript, 0, `bedrock:${MODEL_ID}`)).toMatchObject({ id: MODEL_ID, provider: BEDROCK_PROVIDER });
    expect(resolveModel(undefined, supervisorScript, 0, undefined)).toMatchObject({ provider: SCRIPTED_PROVIDER });
    expect(resolveModel(undefined, supervisorScript, 0, "scripted")).toMatchObject({ provider: SCRIPTED_PROVIDER });
  });

  it("refuses a spec it does not know, listing what it takes", () => {
    for (const spec of ["openai:gpt", "bedrock:"]) expect(() => resolveModel(undefined, supervisorScript, 0, spec)).toThrow(new UnknownNameError("model (TRACEWRIGHT_AGENT_MODEL)", spec, ["scripted", "bedrock:MODEL_ID"]));
  });
});
