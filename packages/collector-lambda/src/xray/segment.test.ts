import { describe, expect, it } from "vitest";
import { makeRunStart, makeSpan } from "@tracewright/store/testing";
import { RunStart } from "@tracewright/instrument/conventions";
import type { SpanRecord } from "@tracewright/store";
import { contractBatch } from "../sink.contract.js";
import { MAX_DOCUMENT_BYTES, OFFLOADED, annotationKey, fromSegmentDocument, parseStack, sanitizeName, toInProgressSegment, toSegmentDocument, xrayTraceId } from "./segment.js";

const at = <T>(list: readonly T[], i: number): T => {
  const v = list[i];
  if (v === undefined) throw new Error(`no item ${i}`);
  return v;
};
const parse = (span: SpanRecord, options = {}) => JSON.parse(toSegmentDocument(span, options).json) as Record<string, unknown>;

describe("X-Ray translation of a run-start span", () => {
  it("is the in-progress segment of the root it marks: the root's id, start time and name, in_progress, no end_time (schema snapshot)", () => {
    const root = at(contractBatch(), 0);
    const marker = makeRunStart(root);
    const inProgress = toInProgressSegment(marker);
    expect(inProgress).toMatchObject({ id: root.spanId, traceId: "1-4bf92f35-77b34da6a3ce929d0e0e4736", offloaded: [] });
    const doc = JSON.parse(inProgress?.json ?? "{}") as Record<string, unknown>;
    expect(doc).toMatchInlineSnapshot(`
      {
        "annotations": {
          "gen_ai_agent_name": "contract",
          "tracewright_run_id": "contract-run",
        },
        "id": "00f067aa0ba902b7",
        "in_progress": true,
        "metadata": {
          "tracewright": {
            "in_progress_from": "${marker.spanId}",
            "start_time_unix_nano": "1767225600000000001",
          },
        },
        "name": "contract-agent",
        "start_time": 1767225600,
        "trace_id": "1-4bf92f35-77b34da6a3ce929d0e0e4736",
      }
    `);
    // The complete segment, sent when the root ends, has the same id, name and start: it overwrites this one.
    const complete = parse(root);
    expect([complete.id, complete.name, complete.start_time, complete.trace_id]).toEqual([doc.id, doc.name, doc.start_time, doc.trace_id]);
    expect(() => fromSegmentDocument(inProgress?.json ?? "")).toThrow(/in progress/);
  });

  it("gives none for a root that has a parent (a consumer's), nor for a span that is not a run start", () => {
    const root = at(contractBatch(), 0);
    expect(toInProgressSegment(makeRunStart(root, RunStart.CONTINUED))).toBeUndefined();
    expect(toInProgressSegment(root)).toBeUndefined();
    expect(() => toInProgressSegment({ ...makeRunStart(root), parentSpanId: "xyz" })).toThrow(/16 hex digits/);
  });
});

describe("X-Ray segment translation", () => {
  it("writes trace ids as 1-<8 hex>-<24 hex> and refuses malformed ones", () => {
    expect(xrayTraceId("4BF92F3577B34DA6A3CE929D0E0E4736")).toBe("1-4bf92f35-77b34da6a3ce929d0e0e4736");
    expect(() => xrayTraceId("abc")).toThrow(/32 hex digits/);
  });

  it("sanitizes names to X-Ray's characters and 200 of them, never empty", () => {
    expect(sanitizeName("chat <gpt-4o> {x}: ok!")).toBe("chat gpt-4o x: ok");
    expect(sanitizeName("é".repeat(300))).toHaveLength(200);
    expect(sanitizeName("<>")).toBe("span");
  });

  it("makes annotation keys of [A-Za-z0-9_] only", () => {
    expect(annotationKey("tracewright.run.id")).toBe("tracewright_run_id");
    expect(annotationKey("gen_ai.request.model")).toBe("gen_ai_request_model");
  });

  it("turns a root into a segment named after the service, with annotations and metadata (schema snapshot)", () => {
    const root = at(contractBatch(), 0);
    const doc = parse(root);
    expect(doc).toMatchInlineSnapshot(`
      {
        "annotations": {
          "gen_ai_agent_name": "contract",
          "tracewright_run_id": "contract-run",
        },
        "cause": {
          "exceptions": [
            {
              "id": "1b32819cf4d7b4ca",
              "message": "tool failed",
            },
          ],
        },
        "end_time": 1767225600.9,
        "fault": true,
        "id": "00f067aa0ba902b7",
        "metadata": {
          "default": {
            "input.value": "{"q":"ping"}",
            "nested.map": {
              "depth": {
                "x": 0.5,
              },
              "list": [
                1,
                "two",
                null,
                true,
              ],
            },
          },
          "tracewright": {
            "annotated": {
              "gen_ai_agent_name": "gen_ai.agent.name",
              "tracewright_run_id": "tracewright.run.id",
            },
            "end_time_unix_nano": "1767225600900000000",
            "events": [],
            "kind": 2,
            "name": "invoke_agent contract",
            "resource": {
              "service.name": "contract-agent",
            },
            "scope": {
              "name": "@tracewright/instrument",
              "version": "0.1.0",
            },
            "start_time_unix_nano": "1767225600000000001",
            "status": {
              "code": 2,
              "message": "tool failed",
            },
          },
        },
        "name": "contract-agent",
        "start_time": 1767225600,
        "trace_id": "1-4bf92f35-77b34da6a3ce929d0e0e4736",
      }
    `);
  });

  it("turns a child client span into a remote subsegment with its parent, cause with exceptions, and links", () => {
    const tool = at(contractBatch(), 2);
    const doc = parse(tool);
    expect(doc).toMatchObject({ type: "subsegment", namespace: "remote", parent_id: "00f067aa0ba902b7", name: "execute_tool search", fault: true, annotations: { gen_ai_tool_name: "search" } });
    expect(doc.cause).toEqual({ exceptions: [{ id: expect.stringMatching(/^[0-9a-f]{16}$/), type: "TimeoutError", message: "timeout" }] });
    expect(doc.links).toEqual([{ trace_id: "1-4bf92f35-77b34da6a3ce929d0e0e4736", id: "00f067aa0ba902b8", attributes: { "link.reason": "follows" } }]);
  });

  it("keeps a SERVER span with a parent a segment (a service boundary)", () => {
    const span = { ...at(contractBatch(), 1), kind: 2 };
    expect(parse(span).type).toBeUndefined();
    expect(parse({ ...span, kind: 1 }).type).toBe("subsegment");
    expect(parse({ ...span, kind: 1 }).namespace).toBeUndefined();
  });

  it("sets error, throttle and fault from HTTP status codes and the span status", () => {
    const base = at(contractBatch(), 1);
    const withStatus = (code: number, status: 0 | 2 = 0) => parse({ ...base, status: { code: status }, attributes: { ...base.attributes, "http.response.status_code": code } });
    expect(withStatus(404)).toMatchObject({ error: true, http: { response: { status: 404 } } });
    expect(withStatus(404).fault).toBeUndefined();
    expect(withStatus(429)).toMatchObject({ error: true, throttle: true });
    expect(withStatus(503)).toMatchObject({ fault: true });
    expect(withStatus(503).error).toBeUndefined();
    expect(withStatus(200).fault).toBeUndefined();
    expect(parse({ ...base, status: { code: 2, message: "x" } }).fault).toBe(true);
    expect(parse({ ...base, status: { code: 1 } }).fault).toBeUndefined();
  });

  it("parses V8 and Python stack frames into the cause", () => {
    expect(parseStack("Error: boom\n    at tool (/app/agent.ts:12:5)\n    at /app/main.ts:3:1\n  File \"x.py\", line 4, in run")).toEqual([
      { label: "tool", path: "/app/agent.ts", line: 12 },
      { path: "/app/main.ts", line: 3 },
      { path: "x.py", line: 4, label: "run" },
    ]);
    const failed = makeSpan({ run: "r", key: "supervisor/tool:fetch#0", kind: "tool", parent: "supervisor", error: "tool failed" });
    expect(parse(failed).cause).toMatchObject({ exceptions: [{ type: "Error", message: "tool failed", stack: [{ label: "tool", path: "agent.ts", line: 1 }] }] });
  });

  it("indexes at most 50 annotations, the configured keys and aws.xray.annotations among them", () => {
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 80; i++) attributes[`k.${i}`] = `v${i}`;
    const span = { ...at(contractBatch(), 1), attributes: { ...attributes, "aws.xray.annotations": ["k.79"] } };
    const doc = parse(span, { indexedAttributes: Object.keys(attributes) });
    const annotations = doc.annotations as Record<string, string>;
    expect(Object.keys(annotations)).toHaveLength(50);
    expect(Object.keys(annotations).every((k) => /^[A-Za-z0-9_]+$/.test(k))).toBe(true);
    // What was not indexed is kept in metadata, so nothing is lost.
    expect(fromSegmentDocument(toSegmentDocument(span, { indexedAttributes: Object.keys(attributes) }).json).attributes).toEqual(span.attributes);
  });

  it("round-trips every span of the contract batch through a document", () => {
    for (const span of contractBatch()) expect(fromSegmentDocument(toSegmentDocument(span).json)).toEqual(span);
  });

  it("never produces a document over 64 KB: large states become pointers to the CloudWatch Logs event", () => {
    const big = "x".repeat(300_000);
    const span = makeSpan({ run: "r-big", key: "supervisor/tool:read#0", kind: "tool", parent: "supervisor", input: { file: big }, output: { text: big } });
    const out = toSegmentDocument(span, { logGroupName: "/tracewright/spans" });
    expect(Buffer.byteLength(out.json)).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    expect(out.offloaded.sort()).toEqual(["input.value", "output.value"]);
    const doc = JSON.parse(out.json) as { metadata: { default: Record<string, Record<string, Record<string, unknown>>> }; annotations: Record<string, string> };
    expect(doc.metadata.default["input.value"]?.[OFFLOADED]).toMatchObject({
      logGroup: "/tracewright/spans",
      runId: "r-big",
      spanId: span.spanId,
      filterPattern: `{ $.spanId = "${span.spanId}" && $.otelTraceId = "${span.traceId}" }`,
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(doc.annotations.tracewright_run_id).toBe("r-big");
  });

  it("moves out as few large attributes as it takes, largest first, its running size exact (the document just under the limit)", () => {
    // Sixty attributes of 2–3 KB (120+ KB): some must go; moving one fewer would not fit.
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 60; i++) attributes[`llm.input_messages.${i}.message.content`] = "z".repeat(2000 + i * 17);
    const span: SpanRecord = { ...at(contractBatch(), 2), attributes };
    const out = toSegmentDocument(span, { logGroupName: "/tracewright/spans" });
    const bytes = Buffer.byteLength(out.json);
    expect(bytes).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    expect(out.offloaded.length).toBeGreaterThan(0);
    expect(out.offloaded).not.toContain("metadata");
    // The largest went first: the moved keys are the highest-numbered ones.
    expect(out.offloaded).toEqual(Array.from({ length: out.offloaded.length }, (_, i) => `llm.input_messages.${59 - i}.message.content`));
    // Minimal: putting the last one moved back in would take the document over the limit.
    const doc = JSON.parse(out.json) as { metadata: { default: Record<string, unknown> } };
    const last = out.offloaded.at(-1) as string;
    doc.metadata.default[last] = attributes[last];
    expect(Buffer.byteLength(JSON.stringify(doc))).toBeGreaterThan(MAX_DOCUMENT_BYTES);
  });

  it("fits even thousands of small attributes, links and a huge stack under 64 KB", () => {
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) attributes[`attr.${i}`] = "y".repeat(40);
    const stack = `Error: x\n${"    at f (/a/b.ts:1:1)\n".repeat(5000)}`;
    const span: SpanRecord = {
      ...at(contractBatch(), 2),
      attributes,
      events: [{ name: "exception", timeUnixNano: "1767225600799999999", attributes: { "exception.type": "E", "exception.message": "m".repeat(100_000), "exception.stacktrace": stack } }],
      links: Array.from({ length: 2000 }, () => ({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b8", attributes: {} })),
    };
    const out = toSegmentDocument(span);
    expect(Buffer.byteLength(out.json)).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    expect(out.offloaded).toContain("metadata");
  });

  it("never produces a document over 64 KB for a huge URL, HTTP method or span name: the copies X-Ray has fields for are cut", () => {
    const base = at(contractBatch(), 2);
    const huge = "a".repeat(100_000);
    for (const span of [
      { ...base, attributes: { ...base.attributes, "url.full": `https://example.com/${huge}` } },
      { ...base, attributes: { ...base.attributes, "http.request.method": huge } },
      { ...base, name: huge },
    ]) {
      const out = toSegmentDocument(span);
      expect(Buffer.byteLength(out.json)).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
      expect(out.offloaded.length).toBeGreaterThan(0);
    }
  });

  it("fits a smaller limit (the daemon's datagram) exactly, or refuses the span rather than produce an oversized document", () => {
    const sized = (n: number): SpanRecord => makeSpan({ run: "r", key: "supervisor", attributes: { filler: "x".repeat(n) } });
    // 65,500 bytes: within X-Ray's 64 KB, over what one datagram carries with the daemon's header.
    const span = sized(65_500 - Buffer.byteLength(toSegmentDocument(sized(0)).json));
    expect(Buffer.byteLength(toSegmentDocument(span).json)).toBe(65_500);
    expect(Buffer.byteLength(toSegmentDocument(span, { maxDocumentBytes: 65_477 }).json)).toBeLessThanOrEqual(65_477);
    expect(() => toSegmentDocument(span, { maxDocumentBytes: 100 })).toThrow(/over the 100-byte limit/);
  });

  it("refuses a span whose ids X-Ray cannot take, naming the field", () => {
    expect(() => toSegmentDocument({ ...at(contractBatch(), 0), spanId: "xyz" })).toThrow(/spanId: expected 16 hex digits/);
  });
});
