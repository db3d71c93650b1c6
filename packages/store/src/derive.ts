import { GenAI, isRunStart, Resource, stepKeyName, Tracewright } from "@tracewright/instrument/conventions";
import type { SpanRecord } from "./types.js";

/** What the store indexes a span by, read once per span at ingest. */
export interface SpanFacts {
  /** `tracewright.run.id`, or the trace id for spans from other instrumentation. */
  runId: string;
  stepKey: string | null;
  startUs: number;
  endUs: number;
  /** A parentless span: a candidate root of its run. */
  root: boolean;
  /** The run's agent: as its root names it, or as the first segment of a step key. */
  agent: string;
  replayOf: string | null;
  /** A run-start span (`isRunStart`): it names and dates its run, and is never a step. */
  runStart: boolean;
}

export function derive(span: SpanRecord): SpanFacts {
  const a = span.attributes;
  const runId = typeof a[Tracewright.RUN_ID] === "string" && a[Tracewright.RUN_ID] !== "" ? (a[Tracewright.RUN_ID] as string) : span.traceId;
  const startUs = nanosToMicros(span.startTimeUnixNano);
  const endUs = Math.max(startUs, nanosToMicros(span.endTimeUnixNano));
  const stepKey = str(a[Tracewright.STEP_KEY]);
  // A root names its agent; any other step of a run names it by its key's first segment. (The
  // resource is optional here: a record built by hand may lack it.)
  const agent = str(a[GenAI.AGENT_NAME]) ?? (stepKey === undefined ? undefined : firstSegment(stepKey)) ?? str((span.resource as SpanRecord["resource"] | undefined)?.[Resource.SERVICE_NAME]) ?? span.name;
  return {
    runId,
    stepKey: stepKey ?? null,
    startUs,
    endUs,
    root: span.parentSpanId === undefined || span.parentSpanId === "",
    agent,
    replayOf: str(a[Tracewright.REPLAY_OF]) ?? null,
    runStart: isRunStart(span),
  };
}

/** Nanoseconds (exact decimal string) to whole microseconds, safe as a JavaScript number. */
export function nanosToMicros(nanos: string): number {
  return nanos.length <= 3 ? 0 : Number(nanos.slice(0, -3));
}

function firstSegment(key: string): string {
  const slash = key.indexOf("/");
  return stepKeyName(slash === -1 ? key : key.slice(0, slash));
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
