import { describe, expect, it } from "vitest";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { GenAI, Resource, Tracewright } from "@tracewright/instrument/conventions";
import { OtlpDecodeError } from "../errors.js";
import { RUN_ID, recordAgentRun, sequentialIds } from "../sdk.fixtures.js";
import { decodeOtlpJson } from "./json.js";
import { PARENT_ID, SPAN_ID, T0, T1, TRACE_ID, jsonRequest, jsonSpan, pb, spanIdOf, toProtobuf } from "./otlp.fixtures.js";
import type { JsonObject } from "./otlp.fixtures.js";
import { decodeOtlpProtobuf } from "./protobuf.js";

const PATH = "resourceSpans[0].scopeSpans[0].spans[0]";

async function sdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [Resource.SERVICE_NAME]: "research-agent", "deployment.environment": "test", "host.cpu.count": 8 }),
    idGenerator: sequentialIds(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  recordAgentRun(provider.getTracer("@tracewright/instrument", "0.1.0"));
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function decodeError(body: Buffer): OtlpDecodeError {
  try {
    decodeOtlpProtobuf(body);
  } catch (error) {
    if (error instanceof OtlpDecodeError) return error;
    throw error;
  }
  throw new Error("expected an OtlpDecodeError");
}

describe("decodeOtlpProtobuf", () => {
  describe("on bodies encoded by the OpenTelemetry SDK's own serializers", () => {
    it("yields exactly the records the JSON decoder yields from the JSON encoding", async () => {
      const spans = await sdkSpans();
      const protobuf = ProtobufTraceSerializer.serializeRequest(spans);
      const json = JsonTraceSerializer.serializeRequest(spans);
      if (protobuf === undefined || json === undefined) throw new Error("the serializers produced nothing");

      const fromProtobuf = decodeOtlpProtobuf(protobuf);
      const fromJson = decodeOtlpJson(json);
      expect(fromProtobuf.rejected).toEqual([]);
      expect(fromJson.rejected).toEqual([]);
      expect(fromProtobuf.spans).toHaveLength(5);
      expect(fromProtobuf.spans).toEqual(fromJson.spans);
    });

    it("carries every field of the SDK spans: ids, parents, kinds, exact times, attributes, events, links, status, resource and scope", async () => {
      const spans = await sdkSpans();
      const { spans: records } = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
      const byName = new Map(records.map((r) => [r.name, r]));
      for (const sdk of spans) {
        const record = byName.get(sdk.name);
        expect(record?.traceId).toBe(sdk.spanContext().traceId);
        expect(record?.spanId).toBe(sdk.spanContext().spanId);
        expect(record?.parentSpanId).toBe(sdk.parentSpanContext?.spanId);
      }

      const root = byName.get("invoke_agent supervisor");
      expect(root).toMatchObject({ kind: 2, startTimeUnixNano: "1767225600000000001", endTimeUnixNano: "1767225600090999999", status: { code: 2, message: "tool failed" } });
      expect(root?.resource).toEqual({ [Resource.SERVICE_NAME]: "research-agent", "deployment.environment": "test", "host.cpu.count": 8 });
      expect(root?.scope).toEqual({ name: "@tracewright/instrument", version: "0.1.0" });

      expect(byName.get("chat claude")?.attributes).toEqual({
        [Tracewright.RUN_ID]: RUN_ID,
        [GenAI.OPERATION_NAME]: "chat",
        [GenAI.REQUEST_MODEL]: "claude-sonnet",
        [GenAI.USAGE_INPUT_TOKENS]: 1234,
        [GenAI.USAGE_OUTPUT_TOKENS]: 56,
        "gen_ai.request.stop_sequences": ["\n\nHuman:", "END"],
        "sample.scores": [0.5, 1.25],
        "sample.flags": [true, false],
        "big.count": 2 ** 40,
      });
      expect(byName.get("chat claude")).toMatchObject({ kind: 3, startTimeUnixNano: "1767225600002000500", endTimeUnixNano: "1767225600040000007", events: [{ name: "gen_ai.content.prompt", timeUnixNano: "1767225600003000000", attributes: { "gen_ai.prompt": "…" } }] });

      const tool = byName.get("execute_tool web_search");
      expect(tool?.status).toEqual({ code: 2, message: "web_search timed out after 30s" });
      expect(tool?.events.map((e) => [e.name, e.attributes["exception.type"]])).toEqual([["exception", "TimeoutError"]]);

      const state = byName.get("state save");
      expect(state?.kind).toBe(4);
      expect(state?.links).toEqual([{ traceId: byName.get("chat claude")?.traceId, spanId: byName.get("chat claude")?.spanId, attributes: { "link.reason": "caused_by" } }]);
      expect(byName.get("node research")?.status).toEqual({ code: 1 });
    });
  });

  describe("agrees with the JSON decoder on the same request", () => {
    const agree = (request: JsonObject) => {
      const fromJson = decodeOtlpJson(JSON.stringify(request));
      const fromProtobuf = decodeOtlpProtobuf(toProtobuf(request));
      expect(fromProtobuf.spans).toEqual(fromJson.spans);
      // The same spans are rejected, for the same field; the detail differs (hex digits vs bytes).
      const fieldOf = (reason: string) => reason.slice(0, reason.indexOf(": "));
      expect(fromProtobuf.rejected.map((r) => [r.index, fieldOf(r.reason)])).toEqual(fromJson.rejected.map((r) => [r.index, fieldOf(r.reason)]));
      return { fromJson, fromProtobuf };
    };

    it("on a well-formed span with every kind of value", () => {
      const { fromProtobuf } = agree(
        jsonRequest([
          jsonSpan({
            kind: 5,
            status: { code: 2, message: "boom" },
            attributes: [
              { key: "s", value: { stringValue: "naïve ☃" } },
              { key: "b", value: { boolValue: true } },
              { key: "i", value: { intValue: "-9223372036854775808" } },
              { key: "i.small", value: { intValue: "-3" } },
              { key: "d", value: { doubleValue: -0.5 } },
              { key: "d.inf", value: { doubleValue: "Infinity" } },
              { key: "a", value: { arrayValue: { values: [{ stringValue: "x" }, { kvlistValue: { values: [{ key: "k", value: { intValue: "1" } }] } }] } } },
              { key: "y", value: { bytesValue: "3q2+7w==" } },
              { key: "none" },
            ],
            events: [{ timeUnixNano: T1, name: "e", attributes: [{ key: "n", value: { intValue: "2" } }] }],
            links: [{ traceId: TRACE_ID, spanId: PARENT_ID, attributes: [] }],
          }),
        ]),
      );
      expect(fromProtobuf.spans[0]?.attributes).toEqual({ s: "naïve ☃", b: true, i: "-9223372036854775808", "i.small": -3, d: -0.5, "d.inf": "Infinity", a: ["x", { k: 1 }], y: "3q2+7w==", none: null });
    });

    it("on a mixed batch of good and malformed spans", () => {
      const { fromProtobuf } = agree({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "a" } }] },
            scopeSpans: [
              { scope: { name: "s1" }, spans: [jsonSpan({ spanId: spanIdOf(1) }), jsonSpan({ spanId: "abcd" }), jsonSpan({ spanId: spanIdOf(3), kind: 6 })] },
              { spans: [jsonSpan({ spanId: spanIdOf(4), startTimeUnixNano: "0" }), jsonSpan({ spanId: spanIdOf(5), startTimeUnixNano: T1, endTimeUnixNano: T0 })] },
            ],
          },
          {
            scopeSpans: [
              {
                spans: [
                  jsonSpan({ spanId: spanIdOf(6), traceId: "00".repeat(16) }),
                  jsonSpan({ spanId: spanIdOf(7), status: { code: 4 } }),
                  jsonSpan({ spanId: spanIdOf(8), parentSpanId: "0102" }),
                  jsonSpan({ spanId: spanIdOf(9), links: [{ traceId: TRACE_ID, spanId: "01" }] }),
                  jsonSpan({ spanId: spanIdOf(10), events: [{ name: "no time" }] }),
                  jsonSpan({ spanId: spanIdOf(11), endTimeUnixNano: "9223372036854775808" }),
                  jsonSpan({ spanId: spanIdOf(12) }),
                ],
              },
            ],
          },
        ],
      });
      expect(fromProtobuf.spans.map((s) => s.spanId)).toEqual([spanIdOf(1), spanIdOf(12)]);
      expect(fromProtobuf.rejected.map((r) => r.reason)).toEqual([
        `${PATH.replace("spans[0]", "spans[1]")}.spanId: expected 8 bytes, got 2 (abcd)`,
        `${PATH.replace("spans[0]", "spans[2]")}.kind: expected a span kind 0-5 or a SPAN_KIND_* name, got 6`,
        "resourceSpans[0].scopeSpans[1].spans[0].startTimeUnixNano: expected nanoseconds since the Unix epoch, got 0 (unset)",
        `resourceSpans[0].scopeSpans[1].spans[1].endTimeUnixNano: end time ${T0} is before start time ${T1}`,
        `resourceSpans[1].scopeSpans[0].spans[0].traceId: an all-zero id is invalid, got "${"0".repeat(32)}"`,
        "resourceSpans[1].scopeSpans[0].spans[1].status.code: expected a status code 0-2 or a STATUS_CODE_* name, got 4",
        "resourceSpans[1].scopeSpans[0].spans[2].parentSpanId: expected 8 bytes, got 2 (0102)",
        "resourceSpans[1].scopeSpans[0].spans[3].links[0].spanId: expected 8 bytes, got 1 (01)",
        "resourceSpans[1].scopeSpans[0].spans[4].events[0].timeUnixNano: expected nanoseconds since the Unix epoch, got 0 (unset)",
        "resourceSpans[1].scopeSpans[0].spans[5].endTimeUnixNano: expected nanoseconds since the Unix epoch within int64, got 9223372036854775808",
      ]);
      expect(fromProtobuf.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it("on a resource whose attributes are malformed, rejecting its spans only", () => {
      let deep: JsonObject = { stringValue: "x" };
      for (let i = 0; i < 65; i++) deep = { arrayValue: { values: [deep] } };
      const { fromProtobuf } = agree({
        resourceSpans: [
          { resource: { attributes: [{ key: "deep", value: deep }] }, scopeSpans: [{ spans: [jsonSpan({ spanId: spanIdOf(1) }), jsonSpan({ spanId: spanIdOf(2) })] }] },
          { scopeSpans: [{ spans: [jsonSpan({ spanId: spanIdOf(3) })] }] },
        ],
      });
      expect(fromProtobuf.spans.map((s) => s.spanId)).toEqual([spanIdOf(3)]);
      expect(fromProtobuf.rejected.map((r) => r.index)).toEqual([0, 1]);
      expect(fromProtobuf.rejected[0]?.reason).toMatch(/^resourceSpans\[0\]\.resource\.attributes\[0\]\.value(\.arrayValue\.values\[0\]){64}: values nested deeper than 64 levels$/);
    });

    it("on spans sharing one key sequence, each with an attribute map of its own (AttributeMaps)", () => {
      const kv = (key: string, stringValue: string) => ({ key, value: { stringValue } });
      let deep: JsonObject = { stringValue: "x" };
      for (let i = 0; i < 65; i++) deep = { arrayValue: { values: [deep] } };
      const { fromProtobuf } = agree(
        jsonRequest([
          jsonSpan({ spanId: spanIdOf(1), attributes: [kv("run", "r1"), kv("__proto__", "p"), kv("text", "Ã©"), kv("n", "a")] }),
          // Same keys: the template's strings where the bytes are equal, new ones where not (é is C3 A9, two bytes like "Ã©").
          jsonSpan({ spanId: spanIdOf(2), attributes: [kv("run", "r1"), kv("__proto__", "q"), kv("text", "é"), kv("n", "b")] }),
          jsonSpan({ spanId: spanIdOf(3), attributes: [kv("n", "c"), kv("run", "r1"), kv("__proto__", "p"), kv("text", "Ã©")] }),
          jsonSpan({ spanId: spanIdOf(4), attributes: [kv("run", "r1"), kv("run", "r2"), kv("text", "x")] }),
          // Rejected half-way through its attributes: the next span starts afresh.
          jsonSpan({ spanId: spanIdOf(5), attributes: [kv("run", "r1"), { key: "deep", value: deep }] }),
          jsonSpan({ spanId: spanIdOf(6), attributes: [kv("run", "r1"), kv("__proto__", "p"), kv("text", "Ã©"), kv("n", "d")] }),
          jsonSpan({ spanId: spanIdOf(7), attributes: [] }),
        ]),
      );
      expect(fromProtobuf.rejected.map((r) => r.index)).toEqual([4]);
      const attributes = fromProtobuf.spans.map((s) => s.attributes);
      expect(attributes.map((a) => JSON.stringify(a))).toEqual([
        '{"run":"r1","__proto__":"p","text":"Ã©","n":"a"}',
        '{"run":"r1","__proto__":"q","text":"é","n":"b"}',
        '{"n":"c","run":"r1","__proto__":"p","text":"Ã©"}',
        '{"run":"r2","text":"x"}',
        '{"run":"r1","__proto__":"p","text":"Ã©","n":"d"}',
        "{}",
      ]);
      for (const a of attributes) expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
      // Each span has a map of its own.
      (attributes[0] as Record<string, unknown>).n = "changed";
      expect(attributes[4]?.n).toBe("d");
    });
  });

  it("keeps fixed64 times and int64 values exact beyond 2^53", () => {
    const body = toProtobuf(jsonRequest([jsonSpan({ startTimeUnixNano: "1767225600000000001", endTimeUnixNano: "9223372036854775807", attributes: [{ key: "i", value: { intValue: "9007199254740993" } }, { key: "neg", value: { intValue: "-9007199254740993" } }] })]));
    const [span] = decodeOtlpProtobuf(body).spans;
    expect(span?.startTimeUnixNano).toBe("1767225600000000001");
    expect(span?.endTimeUnixNano).toBe("9223372036854775807");
    expect(span?.attributes).toEqual({ i: "9007199254740993", neg: "-9007199254740993" });
  });

  it("reads fields in any order and skips unknown fields of every wire type at every level", () => {
    const unknown = Buffer.concat([pb.uint(90, 300), pb.fixed64(91, 1n), pb.string(92, "x"), pb.fixed32(93, 7), pb.tag(94, 3), pb.uint(1, 1), pb.string(2, "in group"), pb.tag(94, 4)]);
    const id = (hex: string) => Buffer.from(hex, "hex");
    const span = Buffer.concat([
      unknown,
      pb.fixed64(8, T1),
      pb.len(9, pb.len(2, pb.string(1, "v"), unknown), unknown, pb.string(1, "k")),
      pb.string(5, "reordered"),
      pb.len(15, pb.uint(3, 1), unknown, pb.uint(1, 2)),
      pb.len(2, id(SPAN_ID)),
      pb.fixed64(7, T0),
      pb.len(1, id(TRACE_ID)),
      pb.fixed32(16, 0x101),
      pb.string(3, "vendor=state"),
    ]);
    const body = Buffer.concat([
      unknown,
      pb.len(1, pb.len(2, pb.len(2, span), unknown, pb.len(1, pb.string(1, "scope"), unknown)), unknown, pb.len(1, unknown, pb.len(1, pb.string(1, "service.name"), pb.len(2, pb.string(1, "svc"))))),
    ]);
    const result = decodeOtlpProtobuf(body);
    expect(result.rejected).toEqual([]);
    expect(result.spans).toEqual([
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        name: "reordered",
        kind: 0,
        startTimeUnixNano: T0,
        endTimeUnixNano: T1,
        status: { code: 1 },
        attributes: { k: "v" },
        events: [],
        links: [],
        resource: { "service.name": "svc" },
        scope: { name: "scope" },
      },
    ]);
  });

  it("decodes an empty body to nothing", () => {
    expect(decodeOtlpProtobuf(Buffer.alloc(0))).toEqual({ spans: [], rejected: [] });
  });

  it("rejects a span whose own framing is broken, keeping its neighbours", () => {
    const good = toProtobuf(jsonRequest([jsonSpan({ spanId: spanIdOf(1) })]));
    // A span message whose attribute claims 50 bytes but the span ends after 3 of them.
    const broken = Buffer.concat([pb.tag(9, 2), pb.varint(50), Buffer.from("abc")]);
    const body = Buffer.concat([pb.len(1, pb.len(2, pb.len(2, broken), pb.len(2, toProtobufSpan(spanIdOf(2)))))]);
    const result = decodeOtlpProtobuf(Buffer.concat([body, good]));
    expect(result.spans.map((s) => s.spanId)).toEqual([spanIdOf(2), spanIdOf(1)]);
    expect(result.rejected).toEqual([{ index: 0, reason: `${PATH}.attributes[0]: a field of 50 bytes runs 47 bytes past the end of its enclosing message (at byte 7)` }]);
  });

  it("refuses groups nested past the limit as malformed, in a span (that span alone) or around the request, never by overflowing the stack", () => {
    // Ten thousand start-group tags of field 1 (0x0b): each opens a group inside the last.
    const bomb = Buffer.alloc(10_000, 0x0b);
    const whole = decodeError(bomb);
    expect(whole.message).toMatch(/^The protobuf body is malformed at byte \d+: groups nested deeper than 64 levels\./);
    // The same inside one span of two (field 3 groups, 0x1b): the other span is kept.
    const body = pb.len(1, pb.len(2, pb.len(2, Buffer.concat([toProtobufSpan(spanIdOf(1)), Buffer.alloc(20_000, 0x1b)])), pb.len(2, toProtobufSpan(spanIdOf(2)))));
    const result = decodeOtlpProtobuf(body);
    expect(result.spans.map((s) => s.spanId)).toEqual([spanIdOf(2)]);
    expect(result.rejected).toEqual([{ index: 0, reason: expect.stringMatching(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: groups nested deeper than 64 levels \(at byte \d+\)$/) }]);
  });

  it("rejects a span field sent with the wrong wire type", () => {
    const span = Buffer.concat([pb.uint(2, 5), toProtobufSpan(SPAN_ID).subarray(0)]);
    const spanWithBadId = Buffer.concat([toProtobufSpan(SPAN_ID), pb.uint(2, 5)]);
    for (const bytes of [span, spanWithBadId]) {
      const result = decodeOtlpProtobuf(pb.len(1, pb.len(2, pb.len(2, bytes))));
      expect(result.spans).toEqual([]);
      expect(result.rejected[0]?.reason).toMatch(new RegExp(`^${escape(PATH)}\\.spanId: expected wire type 2 \\(length-delimited\\), got 0 \\(varint\\) at byte \\d+$`));
    }
  });

  describe("throws OtlpDecodeError with the byte offset for a body whose framing is broken", () => {
    const whole = toProtobuf(jsonRequest([jsonSpan()]));

    it("a body cut short inside a span", () => {
      const error = decodeError(whole.subarray(0, 40));
      expect(error.offset).toBe(1);
      expect(error.message).toBe(`The protobuf body is malformed at byte 1 in resourceSpans[0]: truncated: a field needs ${whole.length - 3} bytes but the body ends 37 bytes later. Send an OTLP ExportTraceServiceRequest, or use Content-Type: application/json for JSON.`);
      expect(error.code).toBe("OTLP_DECODE_FAILED");
    });

    it("a body cut short inside a varint", () => {
      const error = decodeError(Buffer.from([0x0a, 0x80]));
      expect(error.offset).toBe(1);
      expect(error.message).toMatch(/^The protobuf body is malformed at byte 1 in resourceSpans\[0\]: truncated: the body ends inside a varint\./);
    });

    it("a nested length running past its enclosing message", () => {
      const error = decodeError(Buffer.concat([pb.len(1, pb.tag(2, 2), pb.varint(10), Buffer.from("abc")), pb.len(1)]));
      expect(error.offset).toBe(3);
      expect(error.message).toMatch(/^The protobuf body is malformed at byte 3 in resourceSpans\[0\]: a field of 10 bytes runs 7 bytes past the end of its enclosing message\./);
    });

    it("an invalid wire type", () => {
      const error = decodeError(Buffer.from([(1 << 3) | 7, 0]));
      expect(error.offset).toBe(0);
      expect(error.message).toMatch(/^The protobuf body is malformed at byte 0: invalid wire type 7 for field 1\./);
    });

    it("field number zero", () => {
      const error = decodeError(Buffer.from([0x02, 0x00]));
      expect(error.message).toMatch(/^The protobuf body is malformed at byte 0: invalid field tag 2 \(field number 0 or beyond 2\^29\)\./);
    });

    it("a JSON body sent as protobuf", () => {
      const error = decodeError(Buffer.from(JSON.stringify(jsonRequest([jsonSpan()]))));
      expect(error).toBeInstanceOf(OtlpDecodeError);
      expect(error.offset).toBeTypeOf("number");
    });
  });
});

/** The protobuf bytes of one valid span (the message body, without its tag). */
function toProtobufSpan(spanId: string): Buffer {
  const id = (hex: string) => Buffer.from(hex, "hex");
  return Buffer.concat([pb.len(1, id(TRACE_ID)), pb.len(2, id(spanId)), pb.string(5, "s"), pb.fixed64(7, T0), pb.fixed64(8, T1)]);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
