import type { Context } from "@opentelemetry/api";
import { ROOT_CONTEXT, context as otelContext, TraceFlags } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { currentRunId, currentStepKey, currentStepLineage, withCarriedRun } from "./steps.js";
import type { CarriedRun } from "./steps.js";
import { warn } from "./safely.js";

/**
 * One run across hops. A producer injects the W3C trace context and the run (id and the
 * producer step's key) into what it sends; a consumer extracts them and runs its work under the
 * returned context, where `run()` continues the producer's run instead of starting one:
 *
 * ```ts
 * await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody, MessageAttributes: toSqsAttributes(carry()) }));
 * // in the consumer (a Lambda SQS handler):
 * await context.with(fromSqsMessage(record), () => run("analysis", event, handler));
 * ```
 *
 * The W3C propagator is used directly (not the global one), so propagation works whatever the
 * application registered.
 */
const w3c = new W3CTraceContextPropagator();

/** What crosses a hop: plain strings, to put in any carrier. */
export interface Carried {
  traceparent?: string;
  tracestate?: string;
  runId?: string;
  parentKey?: string;
  /** The producer step's chain, itself last (`tracewright.step.ancestry`): what LangSmith's dotted order needs of it. */
  ancestry?: string;
}

const RUN_ID = "tracewright-run-id";
const PARENT_KEY = "tracewright-parent-key";
const ANCESTRY = "tracewright-ancestry";

/**
 * Each field of {@link Carried} and its name as an SQS message attribute and an HTTP header, most
 * useful first: the order {@link mergeSqsAttributes} adds them in while there is room.
 */
const WIRE: readonly (readonly [keyof Carried, string])[] = [
  ["traceparent", "traceparent"],
  ["runId", RUN_ID],
  ["parentKey", PARENT_KEY],
  ["tracestate", "tracestate"],
  ["ancestry", ANCESTRY],
];

/** The carried fields a carrier has, read by their wire names. */
function readCarried(read: (name: string) => string | undefined): Carried {
  const out: Carried = {};
  for (const [key, name] of WIRE) {
    const value = read(name);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Captures the active trace context and run, to send along. */
export function carry(ctx: Context = otelContext.active()): Carried {
  const headers: Record<string, string> = {};
  w3c.inject(ctx, headers, { set: (c, k, v) => void (c[k] = v) });
  const { runId, parentKey, ancestry } = otelContext.with(ctx, () => ({ runId: currentRunId(), parentKey: currentStepKey(), ancestry: currentStepLineage() }));
  return {
    ...(headers.traceparent === undefined ? {} : { traceparent: headers.traceparent }),
    ...(headers.tracestate === undefined ? {} : { tracestate: headers.tracestate }),
    ...(runId === undefined || runId === "" ? {} : { runId }),
    ...(parentKey === undefined ? {} : { parentKey }),
    ...(ancestry === undefined ? {} : { ancestry }),
  };
}

/**
 * The context a consumer runs under: the remote parent span from `traceparent` and, when a run
 * id came along, the run to continue. `attempt` (0 for a first delivery) keys redeliveries apart.
 */
export function resume(carried: Carried, attempt = 0): Context {
  let ctx = w3c.extract(ROOT_CONTEXT, carried, { get: (c, k) => c[k as keyof Carried], keys: (c) => Object.keys(c) });
  if (carried.runId !== undefined && carried.runId !== "") {
    const run: CarriedRun = { runId: carried.runId, attempt, ...(carried.parentKey === undefined ? {} : { parentKey: carried.parentKey }), ...(carried.ancestry === undefined ? {} : { ancestry: carried.ancestry }) };
    ctx = withCarriedRun(ctx, run);
  }
  return ctx;
}

/** SQS message attributes as the AWS SDK sends them. (SQS allows 10 attributes a message: this uses up to 5.) */
export type SqsMessageAttributes = Record<string, { DataType: "String"; StringValue: string }>;

/** The carried context as SQS message attributes (merge them into yours). */
export function toSqsAttributes(carried: Carried = carry()): SqsMessageAttributes {
  const out: SqsMessageAttributes = {};
  for (const [key, name] of WIRE) {
    const value = carried[key];
    if (value !== undefined) out[name] = { DataType: "String", StringValue: value };
  }
  return out;
}

/** SQS's limit on message attributes per message (system attributes such as `AWSTraceHeader` do not count). */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * The user's message attributes with the carried context added, within SQS's limit of
 * {@link SQS_MAX_MESSAGE_ATTRIBUTES}. The user's own attributes are never dropped or
 * overwritten; ours are added while there is room, most useful first: `traceparent`,
 * `tracewright-run-id`, `tracewright-parent-key`, `tracestate`, `tracewright-ancestry`. A user already at 10 attributes
 * gets none of ours: send {@link toSqsSystemAttributes} as `MessageSystemAttributes` too, so the
 * trace still crosses as `AWSTraceHeader`. Without the run id, `consume` makes the consumer a run
 * of its own, in a trace of its own, linked to the producer's span (as for a message from an
 * uninstrumented producer); code that runs the consumer under {@link resume} itself joins the
 * header's trace instead, taking its sampling decision.
 */
export function mergeSqsAttributes<A extends Record<string, unknown>>(user: A | undefined, carried: Carried = carry()): A & SqsMessageAttributes {
  const out: Record<string, unknown> = { ...user };
  const ours = toSqsAttributes(carried);
  for (const [, name] of WIRE) {
    const value = ours[name];
    if (value === undefined || name in out) continue;
    if (Object.keys(out).length >= SQS_MAX_MESSAGE_ATTRIBUTES) break;
    out[name] = value;
  }
  return out as A & SqsMessageAttributes;
}

/** The carried trace as SQS's `AWSTraceHeader` system attribute (X-Ray format), or none without a traceparent. */
export function toSqsSystemAttributes(carried: Carried = carry()): { AWSTraceHeader?: { DataType: "String"; StringValue: string } } {
  const header = traceparentToXray(carried.traceparent);
  return header === undefined ? {} : { AWSTraceHeader: { DataType: "String", StringValue: header } };
}

/** A W3C traceparent as an X-Ray trace header (`Root=1-…;Parent=…;Sampled=…`), or undefined when it is not one. */
export function traceparentToXray(traceparent: string | undefined): string | undefined {
  const m = traceparent?.match(/^00-([0-9a-f]{8})([0-9a-f]{24})-([0-9a-f]{16})-([0-9a-f]{2})$/i);
  if (m === null || m === undefined) return undefined;
  const sampled = (Number.parseInt(m[4]!, 16) & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? 1 : 0;
  return `Root=1-${m[1]!.toLowerCase()}-${m[2]!.toLowerCase()};Parent=${m[3]!.toLowerCase()};Sampled=${sampled}`;
}

/** A received SQS message, as the SDK's ReceiveMessage or a Lambda SQS event record gives it. */
export interface SqsMessageLike {
  MessageAttributes?: Record<string, { StringValue?: string } | undefined>;
  messageAttributes?: Record<string, { stringValue?: string } | undefined>;
  Attributes?: Record<string, string | undefined>;
  attributes?: Record<string, string | undefined>;
}

/**
 * The carried context of a received SQS message: its message attributes, else the
 * `AWSTraceHeader` system attribute (X-Ray format) for the trace alone.
 */
export function fromSqsMessage(message: SqsMessageLike): Carried {
  const carried = readCarried((name) => message.MessageAttributes?.[name]?.StringValue ?? message.messageAttributes?.[name]?.stringValue);
  if (carried.traceparent === undefined) {
    const traceparent = xrayToTraceparent(message.Attributes?.AWSTraceHeader ?? message.attributes?.AWSTraceHeader);
    if (traceparent !== undefined) carried.traceparent = traceparent;
  }
  return carried;
}

/** How many times SQS has delivered a message, less one: the `attempt` for {@link resume}. */
export function sqsAttempt(message: SqsMessageLike): number {
  const count = Number(message.Attributes?.ApproximateReceiveCount ?? message.attributes?.ApproximateReceiveCount ?? 1);
  return Number.isFinite(count) && count >= 1 ? count - 1 : 0;
}

/**
 * Translates X-Ray's `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`
 * into a W3C traceparent, or undefined when it is not one.
 */
export function xrayToTraceparent(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const fields = new Map(header.split(";").map((part) => part.trim().split("=") as [string, string]));
  const root = fields.get("Root")?.match(/^1-([0-9a-f]{8})-([0-9a-f]{24})$/i);
  const parent = fields.get("Parent");
  if (root === null || root === undefined || parent === undefined || !/^[0-9a-f]{16}$/i.test(parent)) return undefined;
  const sampled = fields.get("Sampled") === "1" ? TraceFlags.SAMPLED : TraceFlags.NONE;
  return `00-${`${root[1]}${root[2]}`.toLowerCase()}-${parent.toLowerCase()}-0${sampled}`;
}

/** The key EventBridge details carry the context under: EventBridge delivers no trace header to targets. */
export const EVENTBRIDGE_FIELD = "_tracewright";

/**
 * An EventBridge `detail` with the carried context added (a copy; a `_tracewright` already in it,
 * from an event being forwarded, is replaced by this hop's). A detail that is not a plain object
 * (an array: spread into a copy it would become `{ "0": …, "1": … }`) is returned as it is,
 * without the context, and a diagnostic warning says so: the event's shape is the user's.
 */
export function withEventBridgeContext<D extends object>(detail: D, carried: Carried = carry()): D & { [EVENTBRIDGE_FIELD]: Carried } {
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
    warn(`tracewright: an EventBridge detail must be a JSON object to carry the run; got ${Array.isArray(detail) ? "an array" : typeof detail}, sent without it`);
    return detail as D & { [EVENTBRIDGE_FIELD]: Carried };
  }
  return { ...detail, [EVENTBRIDGE_FIELD]: carried };
}

/** The carried context of an EventBridge event (its `detail._tracewright`), or none. */
export function fromEventBridgeEvent(event: { detail?: unknown }): Carried {
  const field = (event.detail as Record<string, unknown> | undefined)?.[EVENTBRIDGE_FIELD];
  if (field === null || typeof field !== "object") return {};
  const f = field as Record<string, unknown>;
  const out: Carried = {};
  for (const [key] of WIRE) if (typeof f[key] === "string") out[key] = f[key];
  return out;
}

/** HTTP headers carrying the context: `traceparent`, `tracestate`, `tracewright-run-id`, `tracewright-parent-key`, `tracewright-ancestry`. */
export function toHttpHeaders(carried: Carried = carry()): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, name] of WIRE) {
    const value = carried[key];
    // A step key may hold any character; the others are header-safe as they are.
    if (value !== undefined) headers[name] = key === "parentKey" ? encodeURIComponent(value) : value;
  }
  return headers;
}

/** The carried context of an HTTP request's headers (any case; Node's lower-cased headers object works). */
export function fromHttpHeaders(headers: Record<string, string | string[] | undefined>): Carried {
  const get = (name: string): string | undefined => {
    const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
    return Array.isArray(found) ? found[0] : found;
  };
  const out = readCarried(get);
  if (out.parentKey !== undefined) out.parentKey = decodeHeader(out.parentKey);
  return out;
}

/**
 * A header {@link toHttpHeaders} percent-encoded, decoded; one that is not valid percent-encoding
 * (set by hand, `50%off`) is taken as it came — `decodeURIComponent` would throw it at the server.
 */
function decodeHeader(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
