import { describe, expect, it } from "vitest";
import { Tracewright } from "./conventions.js";
import { consume, publish } from "./messaging.js";
import { context } from "@opentelemetry/api";
import { carry, fromEventBridgeEvent, fromHttpHeaders, fromSqsMessage, resume, sqsAttempt, toHttpHeaders, toSqsAttributes, withEventBridgeContext, xrayToTraceparent } from "./propagation.js";
import type { Carried } from "./propagation.js";
import { node, run, runWithResult, tool } from "./steps.js";
import { recordSpans } from "./recording.fixtures.js";

const exporter = recordSpans();

const attr = (key: string) => exporter.getFinishedSpans().map((s) => s.attributes[key]);

describe("carriers", () => {
  const carried: Carried = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "vendor=x", runId: "0af7651916cd43dd8448eb211c80319c", parentKey: "choreography/message:research#0", ancestry: "00f067aa0ba902b7:1796151340186000.b7ad6b7169203331:1796151340187250" };

  it("round-trips through SQS message attributes, as the SDK sends and as Lambda delivers", () => {
    const attributes = toSqsAttributes(carried);
    expect(Object.keys(attributes)).toHaveLength(5);
    expect(fromSqsMessage({ MessageAttributes: attributes })).toEqual(carried);
    const lambdaShape = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: "String" }]));
    expect(fromSqsMessage({ messageAttributes: lambdaShape, attributes: { ApproximateReceiveCount: "3" } })).toEqual(carried);
    expect(sqsAttempt({ attributes: { ApproximateReceiveCount: "3" } })).toBe(2);
  });

  it("reads the trace from AWSTraceHeader when no traceparent came", () => {
    expect(fromSqsMessage({ Attributes: { AWSTraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" } })).toEqual({ traceparent: "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01" });
    expect(xrayToTraceparent("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")).toBe("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00");
    expect(xrayToTraceparent("Root=garbage;Parent=1")).toBeUndefined();
    expect(xrayToTraceparent(undefined)).toBeUndefined();
  });

  it("round-trips through an EventBridge detail and HTTP headers", () => {
    const detail = withEventBridgeContext({ goal: "g" }, carried);
    expect(detail.goal).toBe("g");
    expect(fromEventBridgeEvent({ detail: JSON.parse(JSON.stringify(detail)) })).toEqual(carried);
    expect(fromEventBridgeEvent({ detail: { goal: "g" } })).toEqual({});
    const headers = toHttpHeaders(carried);
    expect(fromHttpHeaders(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v])))).toEqual(carried);
  });
});

describe("carriers given what they did not make", () => {
  it("an HTTP parent key that is not valid percent-encoding is taken as it came, never thrown at the server", () => {
    // A hand-made header (curl, another client) or a mangled one: decodeURIComponent throws on it.
    expect(() => fromHttpHeaders({ "tracewright-parent-key": "promo/tool:50%off#0" })).not.toThrow();
    expect(fromHttpHeaders({ "tracewright-run-id": "r", "tracewright-parent-key": "promo/tool:50%off#0" })).toEqual({ runId: "r", parentKey: "promo/tool:50%off#0" });
    expect(fromHttpHeaders({ "tracewright-parent-key": "a/tool:x%20y#0" }).parentKey).toBe("a/tool:x y#0");
  });

  it("an EventBridge detail that is not a plain object is left as it is: its shape is the user's", () => {
    const carried: Carried = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", runId: "0af7651916cd43dd8448eb211c80319c" };
    const list = [{ id: 1 }, { id: 2 }];
    expect(withEventBridgeContext(list, carried)).toBe(list);
    expect(Array.isArray(JSON.parse(JSON.stringify(withEventBridgeContext(list, carried))))).toBe(true);
    // A detail passing through again (a consumer forwarding the event) carries the new hop's context.
    const forwarded = withEventBridgeContext({ goal: "g", _tracewright: { runId: "older" } }, carried);
    expect(fromEventBridgeEvent({ detail: forwarded })).toEqual(carried);
  });
});

describe("one run across a hop", () => {
  it("a consumer continues the producer's run, keyed under the message step and linked to it", async () => {
    const queue: { body: unknown; carried: Carried }[] = [];
    const producer = await runWithResult("choreography", { goal: "g" }, async () => {
      const published = await node("intake", {}, () => publish({ system: "in_process", destination: "research" }, { goal: "g" }, (message, c) => {
        queue.push({ body: message, carried: c });
        return "m-1";
      }));
      expect(published).toMatchObject({ messageId: "m-1", sent: true, carried: { parentKey: "choreography/node:intake#0/message:research#0" } });
    });
    // Delivered later, outside the producer's async context (as a queue would).
    const delivered = queue.shift()!;
    const consumed = await consume("research", { system: "in_process", destination: "research" }, { message: delivered.body, carried: delivered.carried, attempt: 0, messageId: "m-1" }, () => tool("web_search", { q: "x" }, () => ["doc"]));
    expect(consumed.runId).toBe(producer.runId);
    const keys = attr(Tracewright.STEP_KEY);
    expect(keys).toContain("choreography/node:intake#0/message:research#0");
    expect(keys).toContain("choreography/node:intake#0/message:research#0/agent:research#0");
    expect(keys).toContain("choreography/node:intake#0/message:research#0/agent:research#0/tool:web_search#0");
    expect(new Set(attr(Tracewright.RUN_ID))).toEqual(new Set([producer.runId]));
    const spans = exporter.getFinishedSpans();
    const message = spans.find((s) => s.attributes[Tracewright.STEP_KEY] === "choreography/node:intake#0/message:research#0")!;
    const consumer = spans.find((s) => s.name === "invoke_agent research")!;
    expect(message.kind).toBe(3); // PRODUCER
    expect(message.attributes["output.value"]).toBe('"m-1"');
    expect(consumer.kind).toBe(4); // CONSUMER
    expect(consumer.parentSpanContext?.spanId).toBe(message.spanContext().spanId);
    expect(consumer.links[0]?.context.spanId).toBe(message.spanContext().spanId);
    expect(consumer.attributes["messaging.operation.type"]).toBe("process");
    // The producer's chain came along: the consumer's root continues it, the message step last.
    const segment = (span: typeof message) => `${span.spanContext().spanId}:${(span.startTime[0] * 1000 + Math.floor(span.startTime[1] / 1_000_000)) * 1000 + Number(span.attributes[Tracewright.STEP_SEQ] ?? 0)}`;
    expect(delivered.carried.ancestry).toBe(`${String(message.attributes[Tracewright.STEP_ANCESTRY])}.${segment(message)}`);
    expect(consumer.attributes[Tracewright.STEP_ANCESTRY]).toBe(delivered.carried.ancestry);
    // A chain that does not end in the consumer's parent (mangled, or from another message) is not taken.
    const mismatched = { ...delivered.carried, ancestry: "00f067aa0ba902b7:1796151340186000" };
    await consume("stray", { system: "in_process", destination: "research" }, { message: delivered.body, carried: mismatched, attempt: 0 }, () => 1);
    await consume("garbled", { system: "in_process", destination: "research" }, { message: delivered.body, carried: { ...delivered.carried, ancestry: "<script>" }, attempt: 0 }, () => 1);
    // Nor one without a remote parent to end in (the traceparent lost on the way).
    await context.with(resume({ runId: "0af7651916cd43dd8448eb211c80319c", ancestry: "<script>" }), () => runWithResult("orphan", {}, () => 1));
    await context.with(resume({ runId: "0af7651916cd43dd8448eb211c80319c", ancestry: "00f067aa0ba902b7:1" }), () => runWithResult("orphan2", {}, () => 1));
    for (const name of ["invoke_agent orphan", "invoke_agent orphan2"]) expect(exporter.getFinishedSpans().find((s) => s.name === name)?.attributes).not.toHaveProperty([Tracewright.STEP_ANCESTRY]);
    expect(exporter.getFinishedSpans().filter((s) => s.name.startsWith("invoke_agent orphan"))).toHaveLength(2);
    for (const name of ["invoke_agent stray", "invoke_agent garbled"]) {
      const root = exporter.getFinishedSpans().find((s) => s.name === name);
      expect(root?.parentSpanContext?.spanId).toBe(message.spanContext().spanId);
      expect(root?.attributes).not.toHaveProperty([Tracewright.STEP_ANCESTRY]);
    }
    // A redelivery gets its own key.
    await consume("research", { system: "in_process", destination: "research" }, { message: delivered.body, carried: delivered.carried, attempt: 1 }, () => 1);
    expect(attr(Tracewright.STEP_KEY)).toContain("choreography/node:intake#0/message:research#0/agent:research#1");
  });

  it("a consumer continuing a carried run in another process is deterministic when it asks to be: its reads are steps, its root says so", async () => {
    exporter.reset();
    const carried: Carried = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", runId: "0af7651916cd43dd8448eb211c80319c", parentKey: "producer/message:publish#0" };
    await context.with(resume(carried), () => runWithResult("consumer", {}, () => node("stamp", {}, () => Date.now()), { deterministic: true }));
    const keys = attr(Tracewright.STEP_KEY);
    expect(keys).toContain("producer/message:publish#0/agent:consumer#0/node:stamp#0/clock:now#0");
    const root = exporter.getFinishedSpans().find((s) => s.attributes[Tracewright.STEP_KEY] === "producer/message:publish#0/agent:consumer#0");
    expect(root?.attributes[Tracewright.RUN_DETERMINISTIC]).toBe(true);
  });

  it("carries nothing but the trace outside a run", () => {
    const c = carry();
    expect(c.runId).toBeUndefined();
  });

  it("a message from a producer that carried no run (only the X-Ray header its AWS SDK set) starts a run of its own, sampled here and linked to the producer", async () => {
    const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0";
    const runIds: string[] = [];
    for (const id of ["m-1", "m-2"]) {
      const carried = fromSqsMessage({ attributes: { AWSTraceHeader: header } });
      const result = await consume("worker", { system: "aws_sqs", destination: "jobs" }, { message: { id }, carried, attempt: 0, messageId: id }, () => tool("work", { id }, () => "done"));
      expect(result.status).toBe("ok");
      runIds.push(result.runId);
    }
    // Recorded (the header's Sampled=0 was the producer's decision, not this run's), each message a run.
    expect(new Set(runIds).size).toBe(2);
    expect(runIds).not.toContain("5759e988bd862e3fe1be46a994272793");
    const roots = exporter.getFinishedSpans().filter((s) => s.attributes[Tracewright.STEP_KEY] === "worker");
    expect(roots).toHaveLength(2);
    for (const root of roots) {
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.links.map((l) => l.context.spanId)).toEqual(["53995c3f42cd8ad8"]);
    }
  });

  it("a message without context starts its own run", async () => {
    const result = await consume("research", { system: "in_process", destination: "q" }, { message: {}, carried: {}, attempt: 0 }, () => run("inner", {}, () => 1));
    expect(result.status).toBe("ok");
    expect(attr(Tracewright.STEP_KEY)).toContain("research");
  });
});
