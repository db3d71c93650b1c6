import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SpanKind } from "@opentelemetry/api";
import { EVENTBRIDGE_FIELD, Messaging, Tracewright } from "@tracewright/instrument";
import { spanRecorder } from "../test-support/spans.js";
import { startLocalAws } from "../test-support/aws-local.js";
import type { LocalAws } from "../test-support/aws-local.js";
import { CHOREOGRAPHY_GOAL, DeadLetterError, RULES, runChoreography } from "./agents.js";
import { AwsBus } from "./aws-bus.js";
import type { Rule } from "./bus.js";

const recorder = spanRecorder();
beforeAll(() => recorder.install());
afterAll(() => recorder.uninstall());
beforeEach(() => recorder.reset());

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let local: LocalAws | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

async function awsBus(rules: readonly Rule[], visibilityTimeoutMs: number, maxReceiveCount: number): Promise<{ bus: AwsBus; local: LocalAws }> {
  local = await startLocalAws(rules, { visibilityTimeoutMs, maxReceiveCount });
  const queues = [...new Set(rules.map((r) => r.queue))];
  const bus = new AwsBus({
    sqs: new SQSClient({ endpoint: local.endpoint, region: "us-east-1", credentials }),
    eventBridge: new EventBridgeClient({ endpoint: local.endpoint, region: "us-east-1", credentials }),
    queueUrls: Object.fromEntries(queues.map((q) => [q, local!.queueUrl(q)])),
    deadLetterQueueUrls: Object.fromEntries(queues.map((q) => [q, local!.dlqUrl(q)])),
  });
  return { bus, local };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the AWS bus (real SDK v3 clients against a local AWS JSON endpoint)", () => {
  const rules: Rule[] = [
    { name: "a", detailType: ["x"], queue: "q1" },
    { name: "b", detailType: ["x"], detail: { size: ["big"] }, queue: "q2" },
  ];
  const carried = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", runId: "0af7651916cd43dd8448eb211c80319c", parentKey: "r/message:x#0" };

  it("puts events through EventBridge with the context in detail, and takes it out again on receive", async () => {
    const { bus, local } = await awsBus(rules, 60_000, 3);
    const id = await bus.putEvent({ detailType: "x", detail: { size: "small", n: 1 }, carried });
    const put = local.calls.find((c) => c.target === "AWSEvents.PutEvents");
    const entry = (put?.body.Entries as { Detail: string; DetailType: string }[])[0]!;
    expect(entry.DetailType).toBe("x");
    expect(JSON.parse(entry.Detail)).toEqual({ size: "small", n: 1, [EVENTBRIDGE_FIELD]: carried });
    // Rule matching on a detail field: only q1 got it.
    expect(await bus.receive("q2", 10)).toEqual([]);
    const [m] = await bus.receive("q1", 10);
    expect(m).toMatchObject({ messageId: id, receiveCount: 1, event: { detailType: "x", detail: { size: "small", n: 1 }, carried } });
  });

  it("redelivers after the visibility timeout, dead-letters after maxReceiveCount, and delete ends delivery", async () => {
    const { bus } = await awsBus(rules, 100, 2);
    const id = await bus.putEvent({ detailType: "x", detail: { size: "big" }, carried });
    const [first] = await bus.receive("q1", 10);
    expect(first?.receiveCount).toBe(1);
    expect(await bus.receive("q1", 10)).toEqual([]); // invisible
    await sleep(150);
    const [second] = await bus.receive("q1", 10);
    expect(second).toMatchObject({ messageId: id, receiveCount: 2 });
    await sleep(150);
    expect(await bus.receive("q1", 10)).toEqual([]); // past maxReceiveCount: redriven
    expect((await bus.deadLetters("q1")).map((m) => [m.messageId, m.receiveCount])).toEqual([[id, 2]]);
    const [other] = await bus.receive("q2", 10);
    await bus.delete("q2", other!.receiptHandle);
    await sleep(150);
    expect(await bus.receive("q2", 10)).toEqual([]);
    expect(await bus.deadLetters("q2")).toEqual([]);
  });
});

describe("the choreography over the AWS bus", () => {
  it("runs one goal as one run across every EventBridge and SQS hop", async () => {
    const { bus, local } = await awsBus(RULES, 30_000, 3);
    const result = await runChoreography({ goal: CHOREOGRAPHY_GOAL, latencyScale: 0, bus, pollIntervalMs: 10 }, { attributes: { "test.transport": "aws" } });
    expect(result.status).toBe("ok");
    expect(result.output?.markdown).toContain("# Lambda cost review");
    const spans = recorder.spans();
    expect(recorder.span("choreography").attributes["test.transport"]).toBe("aws");
    expect(new Set(spans.map((s) => s.attributes[Tracewright.RUN_ID]))).toEqual(new Set([result.runId]));
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([result.traceId]));
    // Every event on the wire carried the run; every consumer is linked to its producer's span.
    const details = local.calls.filter((c) => c.target === "AWSEvents.PutEvents").map((c) => JSON.parse((c.body.Entries as { Detail: string }[])[0]!.Detail) as Record<string, { runId: string }>);
    expect(details.map((d) => d[EVENTBRIDGE_FIELD]?.runId)).toEqual([result.runId, result.runId, result.runId, result.runId]);
    const producers = spans.filter((s) => s.kind === SpanKind.PRODUCER);
    const consumers = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    expect(consumers.map((s) => s.attributes[Messaging.DESTINATION_NAME])).toEqual(["research", "analysis", "writer"]);
    for (const c of consumers) {
      const link = c.links[0]?.context.spanId;
      const producer = producers.find((p) => p.spanContext().spanId === link);
      expect(producer).toBeDefined();
      expect(c.parentSpanContext?.spanId).toBe(link);
    }
  });

  it("ends in the dead-letter queue for a poison message, after maxReceiveCount real redeliveries", async () => {
    const { bus } = await awsBus(RULES, 50, 3);
    const result = await runChoreography({ goal: CHOREOGRAPHY_GOAL, fault: "poison_message", latencyScale: 0, bus, pollIntervalMs: 10 });
    expect(result.status).toBe("error");
    expect(result.error).toBeInstanceOf(DeadLetterError);
    expect((result.error as Error).message).toMatch(/^goal\.received \(evt-1\) moved to the research dead-letter queue after 3 receives; last error: PoisonMessageError/);
    const attempts = recorder.spans().filter((s) => s.name === "invoke_agent research").map((s) => s.attributes[Tracewright.STEP_KEY]);
    expect(attempts).toEqual([0, 1, 2].map((n) => `choreography/node:intake#0/message:goal.received#0/agent:research#${n}`));
  });
});
