/**
 * A local X-Ray endpoint: REST-JSON `POST /TraceSegments` (PutTraceSegments). Limits enforced as
 * the X-Ray API documents them: at most 50 documents a call (else 400 InvalidRequestException),
 * each document at most 64 KB and a JSON object with `name`, a 16-hex `id`, a
 * `1-<8 hex>-<24 hex>` `trace_id`, numeric `start_time`, and `end_time` or `in_progress`
 * (else the document comes back in `UnprocessedTraceSegments`). Like X-Ray, it keeps one segment
 * per (trace_id, id): a later copy replaces an earlier one. Throttling is 429 ThrottledException.
 */
import { startFakeServer } from "./aws.fixtures.js";
import type { FakeServer } from "./aws.fixtures.js";

export interface FakeXRay extends FakeServer {
  /** Stored documents, one per (trace_id, id), as JSON text. */
  documents(): string[];
  /** Documents received in all (copies included). */
  readonly received: number;
  /** The largest document received, in bytes. */
  readonly largestDocument: number;
  /** Marks the next `count` documents unprocessed with this error code (e.g. `ThrottledException`, `InvalidSegment`). */
  leaveUnprocessed(errorCode: string, count?: number): void;
}

const MAX_DOCS = 50;
const MAX_DOC_BYTES = 64 * 1024;

export async function startFakeXRay(): Promise<FakeXRay> {
  const stored = new Map<string, string>();
  const unprocessedCodes: string[] = [];
  let received = 0;
  let largest = 0;
  const server = await startFakeServer(
    (req) => {
      if (req.method !== "POST" || req.path.split("?")[0] !== "/TraceSegments") {
        return { status: 404, headers: { "x-amzn-ErrorType": "UnknownOperationException" }, body: { message: `no route ${req.method} ${req.path}` } };
      }
      const input = JSON.parse(req.body.toString("utf8")) as { TraceSegmentDocuments?: unknown };
      const docs = input.TraceSegmentDocuments;
      if (!Array.isArray(docs) || docs.length === 0 || docs.length > MAX_DOCS) {
        return { status: 400, headers: { "x-amzn-ErrorType": "InvalidRequestException" }, body: { Message: `TraceSegmentDocuments must hold 1 to ${MAX_DOCS} documents, got ${Array.isArray(docs) ? docs.length : typeof docs}` } };
      }
      const unprocessed: { Id?: string; ErrorCode: string; Message: string }[] = [];
      for (const text of docs) {
        received++;
        const bytes = typeof text === "string" ? Buffer.byteLength(text, "utf8") : 0;
        largest = Math.max(largest, bytes);
        let doc: Record<string, unknown> | undefined;
        try {
          doc = typeof text === "string" ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        } catch {
          doc = undefined;
        }
        const id = typeof doc?.id === "string" ? doc.id : undefined;
        const forced = unprocessedCodes.shift();
        if (forced !== undefined) {
          unprocessed.push({ ...(id === undefined ? {} : { Id: id }), ErrorCode: forced, Message: "injected" });
          continue;
        }
        const problem = bytes > MAX_DOC_BYTES ? `document is ${bytes} bytes, over the 64 KB limit` : invalid(doc);
        if (problem !== undefined) {
          unprocessed.push({ ...(id === undefined ? {} : { Id: id }), ErrorCode: "InvalidSegment", Message: problem });
          continue;
        }
        stored.set(`${String(doc?.trace_id)}/${id}`, text as string);
      }
      return { status: 200, body: { UnprocessedTraceSegments: unprocessed } };
    },
    {
      throttle: { status: 429, headers: { "x-amzn-ErrorType": "ThrottledException" }, body: { Message: "Rate exceeded" } },
      "server-error": { status: 500, headers: { "x-amzn-ErrorType": "InternalFailure" }, body: { Message: "injected 500" } },
    },
  );
  // defineProperties, not Object.assign: assign would copy the getters' values once, at zero.
  return Object.defineProperties(server, {
    documents: { value: () => [...stored.values()] },
    received: { get: () => received },
    largestDocument: { get: () => largest },
    leaveUnprocessed: {
      value: (code: string, count = 1) => {
        for (let i = 0; i < count; i++) unprocessedCodes.push(code);
      },
    },
  }) as FakeXRay;
}

function invalid(doc: Record<string, unknown> | undefined): string | undefined {
  if (doc === undefined || typeof doc !== "object" || Array.isArray(doc)) return "document is not a JSON object";
  if (typeof doc.name !== "string" || doc.name === "" || doc.name.length > 200) return "name: expected 1 to 200 characters";
  if (typeof doc.id !== "string" || !/^[0-9a-f]{16}$/.test(doc.id)) return "id: expected 16 hex digits";
  if (typeof doc.trace_id !== "string" || !/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(doc.trace_id)) return "trace_id: expected 1-<8 hex>-<24 hex>";
  if (typeof doc.start_time !== "number") return "start_time: expected epoch seconds";
  if (typeof doc.end_time !== "number" && doc.in_progress !== true) return "end_time: expected epoch seconds (or in_progress)";
  if (doc.type === "subsegment" && typeof doc.parent_id !== "string") return "parent_id: a subsegment sent alone needs its parent's id";
  for (const key of Object.keys((doc.annotations ?? {}) as object)) if (!/^[A-Za-z0-9_]{1,500}$/.test(key)) return `annotations: key ${JSON.stringify(key)} has characters other than [A-Za-z0-9_]`;
  if (Object.keys((doc.annotations ?? {}) as object).length > 50) return "annotations: more than 50";
  return undefined;
}
