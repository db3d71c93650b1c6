import { describe, expect, it } from "vitest";
import { GenAI, Resource } from "@tracewright/instrument/conventions";
import { OtlpDecodeError, TracewrightError } from "../errors.js";
import { decodeOtlpJson } from "./json.js";
import { PARENT_ID, SPAN_ID, T0, T1, TRACE_ID, jsonRequest, jsonSpan, spanIdOf } from "./otlp.fixtures.js";
import type { JsonObject } from "./otlp.fixtures.js";

const decode = (request: unknown) => decodeOtlpJson(JSON.stringify(request));
const PATH = "resourceSpans[0].scopeSpans[0].spans[0]";

/** The one rejection reason for a request holding the single span `span`. */
function reasonFor(span: unknown): string {
  const result = decode(jsonRequest([span]));
  expect(result.spans).toEqual([]);
  expect(result.rejected).toHaveLength(1);
  expect(result.rejected[0]?.index).toBe(0);
  return result.rejected[0]?.reason ?? "";
}

describe("decodeOtlpJson", () => {
  it("decodes a full span, normalizing ids to lower case and enum names to numbers", () => {
    const span = jsonSpan({
      traceId: TRACE_ID.toUpperCase(),
      spanId: "EEE19B7EC3C1B174",
      parentSpanId: "EeE19b7eC3c1B173",
      kind: "SPAN_KIND_SERVER",
      startTimeUnixNano: T0,
      endTimeUnixNano: Number(1767225600250000000n),
      status: { code: "STATUS_CODE_ERROR", message: "tool failed" },
      events: [{ timeUnixNano: T1, name: "exception", attributes: [{ key: "exception.type", value: { stringValue: "TimeoutError" } }] }],
      links: [{ traceId: "0AF7651916CD43DD8448EB211C80319C", spanId: "B7AD6B7169203331", attributes: [{ key: "link.kind", value: { stringValue: "replay_of" } }] }],
    });
    const result = decode(jsonRequest([span]));

    expect(result.rejected).toEqual([]);
    expect(result.spans).toEqual([
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        parentSpanId: PARENT_ID,
        name: "tool:web_search",
        kind: 2,
        startTimeUnixNano: T0,
        endTimeUnixNano: "1767225600250000000",
        status: { code: 2, message: "tool failed" },
        attributes: { [GenAI.TOOL_NAME]: "web_search" },
        events: [{ name: "exception", timeUnixNano: T1, attributes: { "exception.type": "TimeoutError" } }],
        links: [{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", attributes: { "link.kind": "replay_of" } }],
        resource: { [Resource.SERVICE_NAME]: "research-agent" },
        scope: { name: "@tracewright/instrument", version: "0.1.0" },
      },
    ]);
  });

  it("decodes every kind of AnyValue", () => {
    const attributes = [
      { key: "s", value: { stringValue: "text" } },
      { key: "b", value: { boolValue: false } },
      { key: "i.string", value: { intValue: "-42" } },
      { key: "i.number", value: { intValue: 7 } },
      { key: "i.big", value: { intValue: "9223372036854775807" } },
      { key: "d", value: { doubleValue: 0.25 } },
      { key: "d.string", value: { doubleValue: "1.5" } },
      { key: "d.nan", value: { doubleValue: "NaN" } },
      { key: "d.inf", value: { doubleValue: "-Infinity" } },
      { key: "a", value: { arrayValue: { values: [{ stringValue: "x" }, { intValue: "1" }, {}] } } },
      { key: "a.empty", value: { arrayValue: {} } },
      { key: "kv", value: { kvlistValue: { values: [{ key: "nested", value: { kvlistValue: { values: [{ key: "deep", value: { boolValue: true } }] } } }] } } },
      { key: "bytes", value: { bytesValue: "AQID/w==" } },
      { key: "bytes.urlsafe", value: { bytesValue: "AQID_w" } },
      { key: "empty", value: {} },
      { key: "missing" },
    ];
    const [span] = decode(jsonRequest([jsonSpan({ attributes })])).spans;
    expect(span?.attributes).toEqual({
      s: "text",
      b: false,
      "i.string": -42,
      "i.number": 7,
      "i.big": "9223372036854775807",
      d: 0.25,
      "d.string": 1.5,
      "d.nan": "NaN",
      "d.inf": "-Infinity",
      a: ["x", 1, null],
      "a.empty": [],
      kv: { nested: { deep: true } },
      bytes: "AQID/w==",
      "bytes.urlsafe": "AQID/w==",
      empty: null,
      missing: null,
    });
  });

  it("reads a body of bytes as UTF-8, ASCII or not", () => {
    const text = "café ☕ 😀 \u00e9";
    const bytes = (name: string) => new TextEncoder().encode(JSON.stringify(jsonRequest([jsonSpan({ name })])));
    expect(decodeOtlpJson(bytes(text)).spans[0]?.name).toBe(text);
    expect(decodeOtlpJson(bytes("plain ascii")).spans[0]?.name).toBe("plain ascii");
    // A view into a larger buffer is read from its own offset and length.
    const whole = bytes(text);
    const padded = new Uint8Array(whole.length + 8);
    padded.set(whole, 4);
    expect(decodeOtlpJson(padded.subarray(4, 4 + whole.length)).spans[0]?.name).toBe(text);
  });

  it("keeps times and int64 values written as bare JSON numbers exact beyond 2^53", () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","startTimeUnixNano":1767225600000000001,"endTimeUnixNano" : 1767225600000000003,
      "attributes":[{"key":"big","value":{"intValue":9007199254740993}},{"key":"text","value":{"stringValue":"\\"intValue\\": 12345678901234567890"}}],
      "events":[{"timeUnixNano":1767225600000000002,"name":"e"}]}]}]}]}`;
    const [span] = decodeOtlpJson(body).spans;
    expect(span?.startTimeUnixNano).toBe("1767225600000000001");
    expect(span?.endTimeUnixNano).toBe("1767225600000000003");
    expect(span?.events[0]?.timeUnixNano).toBe("1767225600000000002");
    expect(span?.attributes).toEqual({ big: "9007199254740993", text: '"intValue": 12345678901234567890' });
  });

  it("accepts times as numbers or strings and strips leading zeros", () => {
    const [span] = decode(jsonRequest([jsonSpan({ startTimeUnixNano: 1000, endTimeUnixNano: "0002000" })])).spans;
    expect(span?.startTimeUnixNano).toBe("1000");
    expect(span?.endTimeUnixNano).toBe("2000");
  });

  it("treats an empty or absent parentSpanId as no parent, and absent optional fields as their defaults", () => {
    const { spans } = decode(jsonRequest([jsonSpan({ parentSpanId: "", kind: undefined, status: undefined, name: undefined, attributes: undefined }), jsonSpan({ parentSpanId: undefined, spanId: spanIdOf(2) })]));
    expect(spans).toHaveLength(2);
    expect(spans[0]).not.toHaveProperty("parentSpanId");
    expect(spans[1]).not.toHaveProperty("parentSpanId");
    expect(spans[0]).toMatchObject({ name: "", kind: 0, status: { code: 0 }, attributes: {}, events: [], links: [] });
    expect(spans[0]?.status).not.toHaveProperty("message");
  });

  it("takes a Buffer as it takes a string", () => {
    const request = jsonRequest([jsonSpan()]);
    expect(decodeOtlpJson(Buffer.from(JSON.stringify(request)))).toEqual(decode(request));
  });

  it("keeps a __proto__ attribute key as an own property without touching prototypes", () => {
    const [span] = decode(jsonRequest([jsonSpan({ attributes: [{ key: "__proto__", value: { kvlistValue: { values: [{ key: "polluted", value: { boolValue: true } }] } } }] })])).spans;
    expect(Object.keys(span?.attributes ?? {})).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(span?.attributes)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(span?.attributes))).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
  });

  it("lets a later duplicate attribute key win", () => {
    const [span] = decode(jsonRequest([jsonSpan({ attributes: [{ key: "k", value: { stringValue: "first" } }, { key: "k", value: { stringValue: "second" } }] })])).spans;
    expect(span?.attributes).toEqual({ k: "second" });
  });

  it("copies the resource and scope of each group onto its spans", () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "a" } }] },
          scopeSpans: [
            { scope: { name: "one" }, spans: [jsonSpan({ spanId: spanIdOf(1) })] },
            { spans: [jsonSpan({ spanId: spanIdOf(2) })] },
          ],
        },
        { scopeSpans: [{ scope: { name: "two", version: "2.0" }, spans: [jsonSpan({ spanId: spanIdOf(3) })] }] },
      ],
    };
    const { spans } = decode(request);
    expect(spans.map((s) => [s.spanId, s.resource, s.scope])).toEqual([
      [spanIdOf(1), { "service.name": "a" }, { name: "one" }],
      [spanIdOf(2), { "service.name": "a" }, undefined],
      [spanIdOf(3), {}, { name: "two", version: "2.0" }],
    ]);
    expect(spans[1]).not.toHaveProperty("scope");
  });

  describe("rejects a malformed span, naming the field", () => {
    const cases: [string, JsonObject, string][] = [
      ["a span id that is not hex", { spanId: "zz" }, `${PATH}.spanId: expected 16 hex digits, got "zz"`],
      ["a span id of the wrong length", { spanId: "eee19b7ec3c1b17" }, `${PATH}.spanId: expected 16 hex digits, got "eee19b7ec3c1b17"`],
      ["a missing span id", { spanId: undefined }, `${PATH}.spanId: expected 16 hex digits, got nothing`],
      ["an all-zero span id", { spanId: "0000000000000000" }, `${PATH}.spanId: an all-zero id is invalid, got "0000000000000000"`],
      ["a short trace id", { traceId: "abc" }, `${PATH}.traceId: expected 32 hex digits, got "abc"`],
      ["a trace id that is a number", { traceId: 12 }, `${PATH}.traceId: expected 32 hex digits, got 12`],
      ["an all-zero trace id", { traceId: "0".repeat(32) }, `${PATH}.traceId: an all-zero id is invalid, got "${"0".repeat(32)}"`],
      ["a malformed parent span id", { parentSpanId: "xyz" }, `${PATH}.parentSpanId: expected 16 hex digits, got "xyz"`],
      ["a name that is not a string", { name: 5 }, `${PATH}.name: expected a string, got number 5`],
      ["an unknown kind name", { kind: "SPAN_KIND_WHATEVER" }, `${PATH}.kind: expected one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER or its number, got "SPAN_KIND_WHATEVER"`],
      ["a kind out of range", { kind: 9 }, `${PATH}.kind: expected a span kind 0-5 or a SPAN_KIND_* name, got 9`],
      ["a negative start time", { startTimeUnixNano: -5 }, `${PATH}.startTimeUnixNano: expected nanoseconds since the Unix epoch, got a negative -5`],
      ["a negative start time string", { startTimeUnixNano: "-5" }, `${PATH}.startTimeUnixNano: expected nanoseconds since the Unix epoch, got a negative -5`],
      ["a fractional start time", { startTimeUnixNano: 1.5 }, `${PATH}.startTimeUnixNano: expected whole nanoseconds, got 1.5`],
      ["a fractional start time string", { startTimeUnixNano: "1.5" }, `${PATH}.startTimeUnixNano: expected whole nanoseconds as a decimal string, got "1.5"`],
      ["a start time that is not a number", { startTimeUnixNano: "soon" }, `${PATH}.startTimeUnixNano: expected nanoseconds since the Unix epoch as a decimal string or number, got "soon"`],
      ["a missing start time", { startTimeUnixNano: undefined }, `${PATH}.startTimeUnixNano: expected nanoseconds since the Unix epoch, got nothing (the field is required)`],
      ["a zero start time", { startTimeUnixNano: "0" }, `${PATH}.startTimeUnixNano: expected nanoseconds since the Unix epoch, got 0 (unset)`],
      ["a time beyond int64", { endTimeUnixNano: "9223372036854775808" }, `${PATH}.endTimeUnixNano: expected nanoseconds since the Unix epoch within int64, got 9223372036854775808`],
      ["an end before the start", { startTimeUnixNano: T1, endTimeUnixNano: T0 }, `${PATH}.endTimeUnixNano: end time ${T0} is before start time ${T1}`],
      ["an unknown status code name", { status: { code: "STATUS_CODE_BROKEN" } }, `${PATH}.status.code: expected one of STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR or its number, got "STATUS_CODE_BROKEN"`],
      ["a status code out of range", { status: { code: 3 } }, `${PATH}.status.code: expected a status code 0-2 or a STATUS_CODE_* name, got 3`],
      ["a status message that is not a string", { status: { code: 2, message: ["x"] } }, `${PATH}.status.message: expected a string, got an array`],
      ["attributes that are not an array", { attributes: { k: "v" } }, `${PATH}.attributes: expected an array of key-value objects, got an object`],
      ["an attribute key that is not a string", { attributes: [{ key: 1, value: {} }] }, `${PATH}.attributes[0].key: expected a string, got number 1`],
      ["a stringValue that is a number", { attributes: [{ key: "a", value: { stringValue: "ok" } }, { key: "b", value: { stringValue: 5 } }] }, `${PATH}.attributes[1].value.stringValue: expected a string, got number 5`],
      ["a boolValue that is a string", { attributes: [{ key: "b", value: { boolValue: "true" } }] }, `${PATH}.attributes[0].value.boolValue: expected true or false, got string "true"`],
      ["an intValue that is not an integer", { attributes: [{ key: "i", value: { intValue: "abc" } }] }, `${PATH}.attributes[0].value.intValue: expected an integer (number or decimal string), got "abc"`],
      ["an intValue beyond int64", { attributes: [{ key: "i", value: { intValue: "9223372036854775808" } }] }, `${PATH}.attributes[0].value.intValue: expected an int64, got "9223372036854775808" (out of range)`],
      ["a doubleValue that is not a number", { attributes: [{ key: "d", value: { doubleValue: "many" } }] }, `${PATH}.attributes[0].value.doubleValue: expected a number, "NaN", "Infinity" or "-Infinity", got "many"`],
      ["a bytesValue that is not base64", { attributes: [{ key: "y", value: { bytesValue: "***" } }] }, `${PATH}.attributes[0].value.bytesValue: expected base64, got "***"`],
      ["an arrayValue without an array", { attributes: [{ key: "a", value: { arrayValue: { values: "x" } } }] }, `${PATH}.attributes[0].value.arrayValue.values: expected an array, got string "x"`],
      ["a bad value inside a kvlist inside an array", { attributes: [{ key: "a", value: { arrayValue: { values: [{ stringValue: "ok" }, { kvlistValue: { values: [{ key: "n", value: { intValue: 1.5 } }] } }] } } }] }, `${PATH}.attributes[0].value.arrayValue.values[1].kvlistValue.values[0].value.intValue: expected an integer (number or decimal string), got 1.5`],
      ["a value that is not an object", { attributes: [{ key: "v", value: "plain" }] }, `${PATH}.attributes[0].value: expected an AnyValue object, got string "plain"`],
      ["an event without a time", { events: [{ timeUnixNano: T0, name: "ok" }, { name: "late" }] }, `${PATH}.events[1].timeUnixNano: expected nanoseconds since the Unix epoch, got nothing (the field is required)`],
      ["an event that is not an object", { events: ["boom"] }, `${PATH}.events[0]: expected an object, got string "boom"`],
      ["events that are not an array", { events: {} }, `${PATH}.events: expected an array, got an object`],
      ["a link with a bad span id", { links: [{ traceId: TRACE_ID, spanId: "123" }] }, `${PATH}.links[0].spanId: expected 16 hex digits, got "123"`],
    ];
    it.each(cases)("%s", (_name, overrides, reason) => {
      expect(reasonFor(jsonSpan(overrides))).toBe(reason);
    });

    it("a span that is not an object", () => {
      expect(reasonFor("span")).toBe(`${PATH}: expected a span object, got string "span"`);
    });

    it("values nested deeper than 64 levels", () => {
      let value: JsonObject = { stringValue: "bottom" };
      for (let i = 0; i < 70; i++) value = { arrayValue: { values: [value] } };
      const reason = reasonFor(jsonSpan({ attributes: [{ key: "deep", value }] }));
      expect(reason).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value(\.arrayValue\.values\[0\]){64}: values nested deeper than 64 levels$/);
    });
  });

  it("rejects only the malformed spans of a mixed batch, indexed across the whole request", () => {
    const request = {
      resourceSpans: [
        { scopeSpans: [{ spans: [jsonSpan({ spanId: spanIdOf(1) }), jsonSpan({ spanId: "zz" })] }, { spans: [jsonSpan({ spanId: spanIdOf(3) })] }] },
        { scopeSpans: [{ spans: [jsonSpan({ spanId: spanIdOf(4), startTimeUnixNano: -1 }), jsonSpan({ spanId: spanIdOf(5) })] }] },
      ],
    };
    const result = decode(request);
    expect(result.spans.map((s) => s.spanId)).toEqual([spanIdOf(1), spanIdOf(3), spanIdOf(5)]);
    expect(result.rejected).toEqual([
      { index: 1, reason: `resourceSpans[0].scopeSpans[0].spans[1].spanId: expected 16 hex digits, got "zz"` },
      { index: 3, reason: "resourceSpans[1].scopeSpans[0].spans[0].startTimeUnixNano: expected nanoseconds since the Unix epoch, got a negative -1" },
    ]);
  });

  it("rejects every span of a resource whose attributes are malformed, and only those", () => {
    const request = {
      resourceSpans: [
        { resource: { attributes: [{ key: "service.name", value: { intValue: "x" } }] }, scopeSpans: [{ spans: [jsonSpan({ spanId: spanIdOf(1) }), jsonSpan({ spanId: spanIdOf(2) })] }] },
        { scopeSpans: [{ scope: { name: 7 }, spans: [jsonSpan({ spanId: spanIdOf(3) })] }, { spans: [jsonSpan({ spanId: spanIdOf(4) })] }] },
      ],
    };
    const result = decode(request);
    expect(result.spans.map((s) => s.spanId)).toEqual([spanIdOf(4)]);
    expect(result.rejected).toEqual([
      { index: 0, reason: `resourceSpans[0].resource.attributes[0].value.intValue: expected an integer (number or decimal string), got "x"` },
      { index: 1, reason: `resourceSpans[0].resource.attributes[0].value.intValue: expected an integer (number or decimal string), got "x"` },
      { index: 2, reason: "resourceSpans[1].scopeSpans[0].scope.name: expected a string, got number 7" },
    ]);
  });

  it("decodes an empty request to nothing", () => {
    expect(decodeOtlpJson("{}")).toEqual({ spans: [], rejected: [] });
    expect(decode({ resourceSpans: [] })).toEqual({ spans: [], rejected: [] });
  });

  describe("throws OtlpDecodeError for a body it cannot decode at all", () => {
    const cases: [string, string, RegExp][] = [
      ["not JSON", "{not json", /^The body is not valid JSON: .+ Send an OTLP ExportTraceServiceRequest as JSON/],
      ["an empty body", "", /^The body is not valid JSON/],
      ["a JSON array", "[]", /^Expected a JSON object \(an OTLP ExportTraceServiceRequest\), got an array\.$/],
      ["JSON null", "null", /^Expected a JSON object \(an OTLP ExportTraceServiceRequest\), got null\.$/],
      ["a JSON number", "42", /^Expected a JSON object \(an OTLP ExportTraceServiceRequest\), got number 42\.$/],
      ["resourceSpans that is not an array", '{"resourceSpans":{}}', /^resourceSpans: expected an array, got an object\.$/],
      ["a resourceSpans item that is not an object", '{"resourceSpans":[1]}', /^resourceSpans\[0\]: expected an object, got number 1\.$/],
      ["scopeSpans that is not an array", '{"resourceSpans":[{"scopeSpans":"x"}]}', /^resourceSpans\[0\]\.scopeSpans: expected an array, got string "x"\.$/],
      ["spans that is not an array", '{"resourceSpans":[{"scopeSpans":[{"spans":7}]}]}', /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans: expected an array, got number 7\.$/],
    ];
    it.each(cases)("%s", (_name, body, message) => {
      let caught: unknown;
      try {
        decodeOtlpJson(body);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(OtlpDecodeError);
      expect(caught).toBeInstanceOf(TracewrightError);
      expect((caught as OtlpDecodeError).code).toBe("OTLP_DECODE_FAILED");
      expect((caught as OtlpDecodeError).name).toBe("OtlpDecodeError");
      expect((caught as Error).message).toMatch(message);
    });
  });
});
