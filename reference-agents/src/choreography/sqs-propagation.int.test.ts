import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SpanKind } from "@opentelemetry/api";
import { consume, fromSqsMessage, mergeSqsAttributes, publish, run, sqsAttempt, Tracewright, toSqsSystemAttributes } from "@tracewright/instrument";
import { spanRecorder } from "../test-support/spans.js";
import { startLocalAws } from "../test-support/aws-local.js";
import type { LocalAws } from "../test-support/aws-local.js";

const recorder = spanRecorder();
beforeAll(() => recorder.install());
afterAll(() => recorder.uninstall());
beforeEach(() => recorder.reset());

let local: LocalAws;
let sqs: SQSClient;
beforeEach(async () => {
  local = await startLocalAws([], { visibilityTimeoutMs: 30_000, maxReceiveCount: 3 });
  sqs = new SQSClient({ endpoint: local.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
});
afterEach(async () => {
  sqs.destroy();
  await local.close();
});

const userAttributes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`user${i}`, { DataType: "String", StringValue: `v${i}` }]));

/** A producer run sends one message with `userCount` attributes of its own; a consumer receives it and processes it. */
async function hop(userCount: number) {
  const queueUrl = local.queueUrl("jobs");
  const producerRunId = await run("producer", { job: 1 }, async (ctx) => {
    await publish({ system: "aws_sqs", destination: "jobs" }, { job: 1 }, async (message, carried) => {
      const out = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), MessageAttributes: mergeSqsAttributes(userAttributes(userCount), carried), MessageSystemAttributes: toSqsSystemAttributes(carried) }));
      return out.MessageId ?? "";
    });
    return ctx.runId;
  });
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
  const message = received.Messages?.[0];
  if (message === undefined) throw new Error("no message received");
  const consumed = await consume("worker", { system: "aws_sqs", destination: "jobs" }, { message: JSON.parse(message.Body ?? "null") as unknown, carried: fromSqsMessage(message), attempt: sqsAttempt(message), messageId: message.MessageId ?? "" }, (ctx) => ctx.runId);
  const producer = recorder.spans().find((s) => s.kind === SpanKind.PRODUCER);
  const consumer = recorder.spans().find((s) => s.kind === SpanKind.CONSUMER);
  return { producerRunId, consumed, producer: producer!, consumer: consumer!, message };
}

describe("one run across a real SQS hop (SDK v3 against a local endpoint)", () => {
  it("continues the producer's run under its message step, linked to its span", async () => {
    const { producerRunId, consumed, producer, consumer, message } = await hop(2);
    expect(Object.keys(message.MessageAttributes ?? {}).sort()).toEqual(["traceparent", "tracewright-ancestry", "tracewright-parent-key", "tracewright-run-id", "user0", "user1"]);
    // The producer's chain crossed too: the consumer's root continues it, the message step last.
    expect(String(consumer.attributes[Tracewright.STEP_ANCESTRY])).toMatch(new RegExp(`^[0-9a-f]{16}:\\d+\\.${producer.spanContext().spanId}:\\d+$`));
    expect(consumed).toMatchObject({ status: "ok", runId: producerRunId, output: producerRunId });
    expect(consumer.attributes[Tracewright.RUN_ID]).toBe(producerRunId);
    expect(consumer.attributes[Tracewright.STEP_KEY]).toBe("producer/message:jobs#0/agent:worker#0");
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
  });

  it("with the user's 10 attributes taken, the run id cannot cross: the consumer is a run of its own, linked to the producer through AWSTraceHeader", async () => {
    const { producerRunId, consumed, producer, consumer, message } = await hop(10);
    expect(Object.keys(message.MessageAttributes ?? {})).toHaveLength(10);
    expect(message.Attributes?.AWSTraceHeader).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    // Without a carried run id, a message is as one from an uninstrumented producer (whose AWS SDK
    // sets this header too, most often Sampled=0): a run in a trace of its own, keyed on its own.
    expect(consumer.parentSpanContext).toBeUndefined();
    expect(consumer.spanContext().traceId).not.toBe(producer.spanContext().traceId);
    expect(consumer.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
    expect(consumed.status).toBe("ok");
    expect(consumer.attributes[Tracewright.STEP_KEY]).toBe("worker");
    expect(consumed.runId).not.toBe(producerRunId);
    expect(consumed.runId).toBe(consumer.spanContext().traceId);
  });
});
