import { GenAI, isRunStart, Resource, StepKind, stepKeyName, Tracewright } from "@tracewright/instrument/conventions";
import type { SpanRecord } from "./types.js";

/** What the store indexes a span by, read once per span at ingest. */
export interface SpanFacts {
  /** `tracewright.run.id`, or the trace id for spans from other instrumentation. */
  runId: string;
  stepKey: string | null;
  startUs: number;
  endUs: number;
  /**
   * How strong a candidate for its run's root it is ({@link RootRank}): the span the run's own
   * `run()` made, then a parentless span, then none. The strongest, then the earliest, is the root.
   */
  rootRank: RootRank;
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
    rootRank: rootRankOf(span, stepKey),
    agent,
    replayOf: str(a[Tracewright.REPLAY_OF]) ?? null,
    runStart: isRunStart(span),
  };
}

/** A span's claim to be its run's root: what names the run, gives its status and ends it. */
export const RootRank = {
  /** Not a root: it has a parent, and is not the run's own. */
  NONE: 0,
  /** A span with no parent (an all-zero parent id is none, as some exporters send it): another instrumentation's server span above the run, say. */
  PARENTLESS: 1,
  /**
   * The span the run's own `run()` made: an agent step keyed by the agent's name alone (no `/`).
   * It may have a parent — the caller's span, a Lambda's X-Ray segment — that the store never
   * gets, or gets as another span of the run's trace; it is the root all the same. Not a consumer
   * (span kind CONSUMER) under a parent: that continues its producer's run.
   */
  RUN: 2,
} as const;
export type RootRank = (typeof RootRank)[keyof typeof RootRank];

/** OTLP's span kind for a consumer (`SPAN_KIND_CONSUMER`). */
const CONSUMER_KIND = 5;

function rootRankOf(span: SpanRecord, stepKey: string | undefined): RootRank {
  const parent = span.parentSpanId;
  const parentless = parent === undefined || parent === "" || /^0+$/.test(parent);
  // A consumer under its producer's span continues the producer's run (keyed on its own when the
  // message had no room for the parent key): the producer's root ends the run, not it.
  const continuing = !parentless && span.kind === CONSUMER_KIND;
  if (span.attributes[Tracewright.STEP_KIND] === StepKind.AGENT && stepKey !== undefined && !stepKey.includes("/") && !continuing) return RootRank.RUN;
  return parentless ? RootRank.PARENTLESS : RootRank.NONE;
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
