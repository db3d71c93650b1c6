/**
 * A local CloudWatch Logs endpoint: JSON 1.1 (`X-Amz-Target: Logs_20140328.<Operation>`), with
 * CreateLogGroup, CreateLogStream, PutLogEvents, FilterLogEvents, StartQuery, GetQueryResults and
 * StopQuery.
 * Limits enforced as the API reference documents them:
 *
 * - CreateLogGroup / CreateLogStream: ResourceAlreadyExistsException when it exists;
 *   InvalidParameterException for a group named `aws/…` (reserved); ResourceNotFoundException
 *   for a stream in a missing group.
 * - PutLogEvents: ResourceNotFoundException for a missing group or stream; InvalidParameterException
 *   for no events, more than 10,000, more than 1,048,576 bytes (UTF-8 messages plus 26 bytes an
 *   event), an event over 262,144 bytes (message plus 26), events out of chronological order,
 *   or a batch spanning more than 24 hours. Events more than 2 hours ahead or more than 14 days
 *   behind the clock are not stored and are reported in `rejectedLogEventsInfo`
 *   (`tooNewLogEventStartIndex`, `tooOldLogEventEndIndex`).
 * - FilterLogEvents: JSON filter patterns of the form `{ $.a = "x" && $.b = 1 }`, pages of
 *   `pageSize` events with `nextToken`.
 * - Logs Insights: `fields a, b | filter a = "x" and b = 1 | sort f desc | limit n`; results come
 *   back "Running" on the first GetQueryResults (or the first `runningPolls`), then "Complete";
 *   values are strings, as the real service returns them; `limit` at most 10,000. StopQuery stops
 *   a query that is still running (later polls answer "Cancelled"); InvalidParameterException for
 *   one that is not.
 *
 * Throttling is 400 ThrottlingException; server errors 500 ServiceUnavailableException.
 */
import { startFakeServer } from "./aws.fixtures.js";
import type { FakeAnswer, FakeServer } from "./aws.fixtures.js";

export interface StoredEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

export interface FakeLogs extends FakeServer {
  /** Every stored event of a group, all streams, chronological. */
  events(group: string): StoredEvent[];
  groups(): string[];
  streams(group: string): string[];
  /** Calls by operation name. */
  readonly calls: Record<string, number>;
  /** The largest PutLogEvents batch, as counted against the limit (bytes + 26 an event). */
  readonly largestBatchBytes: number;
  /** Rejected PutLogEvents calls, with the exception returned. */
  readonly refusals: string[];
  /** PutLogEvents calls with `x-amzn-logs-format: json/emf`, and EMF events (`_aws`) that came without it (whose metrics the real service would not extract). */
  readonly emf: { headerCalls: number; withoutHeader: number; spanEventsUnderHeader: number };
}

export interface FakeLogsOptions {
  /** FilterLogEvents page size. Default: 50. */
  pageSize?: number;
  /** The service clock. Default: Date.now. */
  now?: () => number;
  /** GetQueryResults calls a query answers "Running" before "Complete". Default: 1. */
  runningPolls?: number;
}

const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const MAX_EVENT_BYTES = 262_144;
const DAY_MS = 24 * 3600 * 1000;

function fail(type: string, message: string, status = 400): FakeAnswer {
  return { status, body: { __type: type, message } };
}

export async function startFakeLogs(options: FakeLogsOptions = {}): Promise<FakeLogs> {
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 50;
  const groups = new Map<string, Map<string, StoredEvent[]>>();
  const runningPolls = options.runningPolls ?? 1;
  const queries = new Map<string, { polls: number; rows: Record<string, string>[]; stopped: boolean }>();
  const calls: Record<string, number> = {};
  const refusals: string[] = [];
  let largestBatchBytes = 0;
  let eventSeq = 0;

  const refuse = (type: string, message: string): FakeAnswer => {
    refusals.push(type);
    return fail(type, message);
  };

  const allEvents = (group: string, streams?: readonly string[]): (StoredEvent & { logStreamName: string })[] => {
    const out: (StoredEvent & { logStreamName: string })[] = [];
    for (const [name, events] of groups.get(group) ?? []) {
      if (streams !== undefined && !streams.includes(name)) continue;
      for (const e of events) out.push({ ...e, logStreamName: name });
    }
    return out.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
  };

  const emf = { headerCalls: 0, withoutHeader: 0, spanEventsUnderHeader: 0 };
  let emfHeader = false;
  const operations: Record<string, (input: Record<string, unknown>) => FakeAnswer> = {
    CreateLogGroup(input) {
      const name = String(input.logGroupName ?? "");
      if (!/^[\w#\-./]{1,512}$/.test(name) || name.startsWith("aws/")) return fail("InvalidParameterException", `Invalid log group name ${JSON.stringify(name)} (names starting with aws/ are reserved)`);
      if (groups.has(name)) return fail("ResourceAlreadyExistsException", "The specified log group already exists");
      groups.set(name, new Map());
      return { status: 200, body: {} };
    },
    CreateLogStream(input) {
      const group = groups.get(String(input.logGroupName));
      if (group === undefined) return fail("ResourceNotFoundException", "The specified log group does not exist.");
      const name = String(input.logStreamName ?? "");
      if (!/^[^:*]{1,512}$/.test(name)) return fail("InvalidParameterException", "Invalid log stream name");
      if (group.has(name)) return fail("ResourceAlreadyExistsException", "The specified log stream already exists");
      group.set(name, []);
      return { status: 200, body: {} };
    },
    PutLogEvents(input) {
      const group = groups.get(String(input.logGroupName));
      if (group === undefined) return refuse("ResourceNotFoundException", "The specified log group does not exist.");
      const stream = group.get(String(input.logStreamName));
      if (stream === undefined) return refuse("ResourceNotFoundException", "The specified log stream does not exist.");
      const events = (input.logEvents ?? []) as { timestamp: number; message: string }[];
      if (events.length === 0) return refuse("InvalidParameterException", "logEvents must hold at least 1 event");
      if (events.length > MAX_EVENTS) return refuse("InvalidParameterException", `logEvents holds ${events.length} events, more than ${MAX_EVENTS}`);
      let bytes = 0;
      for (const [i, e] of events.entries()) {
        const size = Buffer.byteLength(e.message, "utf8") + EVENT_OVERHEAD;
        if (size > MAX_EVENT_BYTES) return refuse("InvalidParameterException", `Log event ${i} is ${size} bytes, over the ${MAX_EVENT_BYTES}-byte event limit`);
        bytes += size;
        const prev = events[i - 1];
        if (prev !== undefined && e.timestamp < prev.timestamp) return refuse("InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.");
      }
      largestBatchBytes = Math.max(largestBatchBytes, bytes);
      if (bytes > MAX_BATCH_BYTES) return refuse("InvalidParameterException", `The batch is ${bytes} bytes (messages + 26 an event), over ${MAX_BATCH_BYTES}`);
      const first = events[0] as { timestamp: number };
      const last = events[events.length - 1] as { timestamp: number };
      if (last.timestamp - first.timestamp > DAY_MS) return refuse("InvalidParameterException", "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
      if (emfHeader) emf.headerCalls++;
      for (const e of events) {
        const isEmf = e.message.includes('"_aws"');
        if (isEmf && !emfHeader) emf.withoutHeader++;
        if (!isEmf && emfHeader) emf.spanEventsUnderHeader++;
      }
      const t = now();
      // As the API reference defines them: the too-old end index is exclusive (events before it
      // were too old), the too-new start index inclusive.
      let tooOldEnd = 0;
      let tooNewStart = -1;
      events.forEach((e, i) => {
        if (e.timestamp < t - 14 * DAY_MS) tooOldEnd = i + 1;
        else if (e.timestamp > t + 2 * 3600 * 1000 && tooNewStart === -1) tooNewStart = i;
      });
      events.forEach((e, i) => {
        if (i < tooOldEnd || (tooNewStart !== -1 && i >= tooNewStart)) return;
        stream.push({ timestamp: e.timestamp, message: e.message, ingestionTime: t, eventId: String(eventSeq++).padStart(12, "0") });
      });
      const info = { ...(tooOldEnd > 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}), ...(tooNewStart >= 0 ? { tooNewLogEventStartIndex: tooNewStart } : {}) };
      return { status: 200, body: { nextSequenceToken: String(eventSeq), ...(Object.keys(info).length > 0 ? { rejectedLogEventsInfo: info } : {}) } };
    },
    FilterLogEvents(input) {
      const name = String(input.logGroupName);
      if (!groups.has(name)) return fail("ResourceNotFoundException", "The specified log group does not exist.");
      const match = compilePattern(typeof input.filterPattern === "string" ? input.filterPattern : "");
      const start = typeof input.startTime === "number" ? input.startTime : -Infinity;
      const end = typeof input.endTime === "number" ? input.endTime : Infinity;
      const matched = allEvents(name, input.logStreamNames as string[] | undefined).filter((e) => e.timestamp >= start && e.timestamp <= end && match(e.message));
      const offset = typeof input.nextToken === "string" ? Number(input.nextToken) : 0;
      const size = Math.min(pageSize, typeof input.limit === "number" ? input.limit : pageSize);
      const page = matched.slice(offset, offset + size);
      return { status: 200, body: { events: page, ...(offset + size < matched.length ? { nextToken: String(offset + size) } : {}) } };
    },
    StartQuery(input) {
      const names = (input.logGroupNames as string[] | undefined) ?? [String(input.logGroupName)];
      if (typeof input.startTime !== "number" || typeof input.endTime !== "number") return fail("InvalidParameterException", "startTime and endTime are required (epoch seconds)");
      for (const n of names) if (!groups.has(n)) return fail("ResourceNotFoundException", `Log group ${n} does not exist`);
      let rows: Record<string, string>[];
      try {
        const events = names.flatMap((n) => allEvents(n)).filter((e) => e.timestamp >= (input.startTime as number) * 1000 && e.timestamp <= (input.endTime as number) * 1000 + 999);
        rows = runInsights(String(input.queryString), events, typeof input.limit === "number" ? input.limit : undefined);
      } catch (error) {
        return fail("MalformedQueryException", (error as Error).message);
      }
      const queryId = `q-${queries.size + 1}`;
      queries.set(queryId, { polls: 0, rows, stopped: false });
      return { status: 200, body: { queryId } };
    },
    StopQuery(input) {
      const q = queries.get(String(input.queryId));
      if (q === undefined) return fail("ResourceNotFoundException", "No such query");
      if (q.stopped || q.polls > runningPolls) return fail("InvalidParameterException", "The query is not running");
      q.stopped = true;
      return { status: 200, body: { success: true } };
    },
    GetQueryResults(input) {
      const q = queries.get(String(input.queryId));
      if (q === undefined) return fail("ResourceNotFoundException", "No such query");
      if (q.stopped) return { status: 200, body: { status: "Cancelled", results: [] } };
      q.polls++;
      if (q.polls <= runningPolls) return { status: 200, body: { status: "Running", results: [] } };
      return { status: 200, body: { status: "Complete", results: q.rows.map((row) => Object.entries(row).map(([field, value]) => ({ field, value }))), statistics: { recordsMatched: q.rows.length } } };
    },
  };

  const server = await startFakeServer(
    (req) => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const op = target.startsWith("Logs_20140328.") ? target.slice("Logs_20140328.".length) : "";
      const handler = operations[op];
      if (handler === undefined) return fail("UnknownOperationException", `Unknown operation ${target}`);
      calls[op] = (calls[op] ?? 0) + 1;
      emfHeader = req.headers["x-amzn-logs-format"] === "json/emf";
      return handler(JSON.parse(req.body.toString("utf8") || "{}") as Record<string, unknown>);
    },
    {
      throttle: fail("ThrottlingException", "Rate exceeded"),
      "server-error": fail("ServiceUnavailableException", "injected 500", 500),
    },
  );
  const fake = Object.assign(server, {
    events: (group: string) => allEvents(group).map(({ logStreamName: _s, ...e }) => e),
    groups: () => [...groups.keys()],
    streams: (group: string) => [...(groups.get(group)?.keys() ?? [])],
    calls,
    refusals,
    emf,
  });
  // A getter of its own: Object.assign would copy its value once, at zero.
  return Object.defineProperty(fake, "largestBatchBytes", { get: () => largestBatchBytes }) as typeof fake & { readonly largestBatchBytes: number };
}

type Matcher = (message: string) => boolean;

/** `{ $.a.b = "x" && $.c = 1 }`, or "" for everything. Other patterns are refused loudly. */
export function compilePattern(pattern: string): Matcher {
  const text = pattern.trim();
  if (text === "") return () => true;
  const body = /^\{(.*)\}$/s.exec(text)?.[1];
  if (body === undefined) throw new Error(`fake FilterLogEvents understands JSON patterns only, got ${pattern}`);
  const terms = body.split("&&").map((term) => {
    const m = /^\s*\(?\s*\$\.([\w.]+)\s*(=|!=)\s*("(?:[^"\\]|\\.)*"|-?[\d.]+)\s*\)?\s*$/.exec(term);
    if (m === null) throw new Error(`fake FilterLogEvents cannot parse ${JSON.stringify(term)}`);
    const value = JSON.parse(m[3] as string) as string | number;
    return { path: (m[1] as string).split("."), negate: m[2] === "!=", value };
  });
  return (message) => {
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      return false;
    }
    return terms.every((t) => {
      let v: unknown = json;
      for (const p of t.path) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined;
      const equal = v === t.value;
      return t.negate ? !equal : equal;
    });
  };
}

/** The Logs Insights subset: fields, filter (= / != joined by and), sort, limit. */
export function runInsights(query: string, events: readonly StoredEvent[], maxRows?: number): Record<string, string>[] {
  let rows = events.map((e) => {
    let parsed: Record<string, unknown> = {};
    try {
      const j = JSON.parse(e.message) as unknown;
      if (typeof j === "object" && j !== null) parsed = j as Record<string, unknown>;
    } catch {
      // not JSON: only @ fields
    }
    return { ...parsed, "@timestamp": e.timestamp, "@message": e.message } as Record<string, unknown>;
  });
  let fields: string[] | undefined;
  let limit = Math.min(maxRows ?? 10_000, 10_000);
  for (const raw of query.split("|")) {
    const command = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^fields\s+(.+)$/s.exec(command)) !== null) {
      fields = (m[1] as string).split(",").map((f) => f.trim());
    } else if ((m = /^filter\s+(.+)$/s.exec(command)) !== null) {
      const terms = (m[1] as string).split(/\s+and\s+/).map((term) => {
        const t = /^([@\w.]+)\s*(=|!=)\s*("(?:[^"\\]|\\.)*"|-?[\d.]+)$/.exec(term.trim());
        if (t === null) throw new Error(`cannot parse filter term ${JSON.stringify(term)}`);
        return { field: t[1] as string, negate: t[2] === "!=", value: JSON.parse(t[3] as string) as unknown };
      });
      rows = rows.filter((row) => terms.every((t) => (row[t.field] === t.value) !== t.negate));
    } else if ((m = /^sort\s+([@\w.]+)(?:\s+(asc|desc))?$/.exec(command)) !== null) {
      const field = m[1] as string;
      const dir = m[2] === "asc" ? 1 : -1;
      rows.sort((a, b) => (Number(a[field]) - Number(b[field])) * dir);
    } else if ((m = /^limit\s+(\d+)$/.exec(command)) !== null) {
      limit = Math.min(limit, Number(m[1]));
      if (Number(m[1]) > 10_000) throw new Error("limit must be at most 10000");
    } else if (command !== "") {
      throw new Error(`the fake Logs Insights does not understand ${JSON.stringify(command)}`);
    }
  }
  return rows.slice(0, limit).map((row) => {
    const out: Record<string, string> = {};
    for (const f of fields ?? Object.keys(row)) {
      const v = row[f];
      if (v !== undefined && v !== null) out[f] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
  });
}
