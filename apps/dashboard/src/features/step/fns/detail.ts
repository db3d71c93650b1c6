import type { Step } from "@tracewright/store";
import { stepFacts } from "../../run/fns/state";
import type { StatePayload, StepDetailData } from "../types";

/** States up to this size (UTF-8 bytes of their JSON text) travel with the step; larger ones on demand. */
export const INLINE_STATE_BYTES = 100 * 1024;

export type StatePart = "input" | "output" | "attributes";

/** The address of one step's state, whole: `/api/runs/RUN_ID/spans/SPAN_ID/PART`. */
export function stateUrl(runId: string, spanId: string, part: StatePart): string {
  return `${stepUrl(runId, spanId)}/${part}`;
}

/** The address of one step's detail: `/api/runs/RUN_ID/spans/SPAN_ID`. */
export function stepUrl(runId: string, spanId: string): string {
  return `/api/runs/${encodeURIComponent(runId)}/spans/${encodeURIComponent(spanId)}`;
}

/** A state for the detail: inline when small, else its size and where to fetch it. */
export function statePayload(value: unknown, url: string, limit = INLINE_STATE_BYTES): StatePayload {
  const whole = wholeState(value);
  if (whole.bytes > limit) return { kind: "large", bytes: whole.bytes, url };
  return whole;
}

/** A state whole, parsed JSON or recorded text; never throws. */
export function wholeState(value: unknown): Exclude<StatePayload, { kind: "large" }> {
  if (typeof value === "string") return { kind: "text", bytes: utf8Bytes(value), text: value };
  let text: string;
  try {
    text = JSON.stringify(value ?? null) ?? "null";
  } catch {
    const fallback = String(value);
    return { kind: "text", bytes: utf8Bytes(fallback), text: fallback };
  }
  return { kind: "json", bytes: utf8Bytes(text), value: value ?? null };
}

const encoder = new TextEncoder();

function utf8Bytes(text: string): number {
  return encoder.encode(text).byteLength;
}

/** One step's detail as the API answers it. */
export function toStepDetail(runId: string, step: Step, limit = INLINE_STATE_BYTES): StepDetailData {
  return {
    runId,
    spanId: step.spanId,
    key: step.key,
    kind: step.kind,
    name: step.name,
    status: step.status,
    startTime: step.startTime,
    durationMs: step.durationMs,
    facts: stepFacts(step),
    ...(step.error === undefined ? {} : { error: step.error }),
    input: statePayload(step.input, stateUrl(runId, step.spanId, "input"), limit),
    output: statePayload(step.output, stateUrl(runId, step.spanId, "output"), limit),
    attributes: statePayload(step.attributes, stateUrl(runId, step.spanId, "attributes"), limit),
  };
}
