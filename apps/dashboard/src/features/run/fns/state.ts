import { GenAI, Messaging, Tracewright } from "@tracewright/instrument/conventions";
import type { Step } from "@tracewright/store";
import type { StepFact } from "../types";

export interface StateText {
  /** What to print: pretty JSON, or the recorded text itself when it was not JSON. */
  text: string;
  /** Bytes of `text` as UTF-8. */
  bytes: number;
  /** The state is plain text rather than JSON. */
  plain: boolean;
}

/**
 * A recorded state as text for a `<pre>`. The store hands states back parsed; text that was not
 * JSON arrives as a string and is shown as recorded. Never throws: a value JSON cannot print
 * (impossible for parsed JSON, but cheap to guard) falls back to `String`.
 */
export function stateText(value: unknown): StateText {
  let text: string;
  let plain = false;
  if (typeof value === "string") {
    text = value;
    plain = true;
  } else {
    try {
      text = JSON.stringify(value, null, 2) ?? "null";
    } catch {
      text = String(value);
      plain = true;
    }
  }
  return { text, bytes: new TextEncoder().encode(text).byteLength, plain };
}

const FACT_KEYS: readonly (readonly [string, string])[] = [
  ["model", GenAI.REQUEST_MODEL],
  ["response model", GenAI.RESPONSE_MODEL],
  ["provider", GenAI.PROVIDER_NAME],
  ["input tokens", GenAI.USAGE_INPUT_TOKENS],
  ["output tokens", GenAI.USAGE_OUTPUT_TOKENS],
  ["cache read tokens", GenAI.USAGE_CACHE_READ_INPUT_TOKENS],
  ["cache write tokens", GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS],
  ["tool", GenAI.TOOL_NAME],
  ["tool call id", GenAI.TOOL_CALL_ID],
  ["operation", GenAI.OPERATION_NAME],
  ["messaging system", Messaging.SYSTEM],
  ["destination", Messaging.DESTINATION_NAME],
  ["message id", Messaging.MESSAGE_ID],
  ["input hash", Tracewright.INPUT_HASH],
  ["payload ref", Tracewright.PAYLOAD_REF],
];

/** Flags a replay puts on a step (`true` when set), each said in words. */
const REPLAY_FLAGS: readonly (readonly [string, string, string])[] = [
  ["fork point", Tracewright.REPLAY_FORK_POINT, "the fork went live here, with the patched state"],
  ["replay", Tracewright.REPLAY_SERVED, "served from the recording"],
];

/** The well-known attributes of a step worth a line of their own, in a fixed order. */
export function stepFacts(step: Pick<Step, "attributes">): StepFact[] {
  const facts: StepFact[] = [];
  for (const [label, key] of FACT_KEYS) {
    const value = step.attributes[key];
    if (typeof value === "string" && value !== "") facts.push({ label, value });
    else if (typeof value === "number" || typeof value === "boolean") facts.push({ label, value: String(value) });
    // An array attribute (the payload refs of a step whose input and output were both sent by reference).
    else if (Array.isArray(value) && value.length > 0) facts.push({ label, value: value.map(String).join(", ") });
  }
  for (const [label, key, said] of REPLAY_FLAGS) if (step.attributes[key] === true) facts.push({ label, value: said });
  return facts;
}
