/**
 * `@tracewright/instrument/hash`: the input hash (`tracewright.input.hash`), for the
 * instrumentation and for every reader of recorded steps (the store's steps, replay, tests).
 * Node.js only (node:crypto); no OpenTelemetry.
 */
import * as crypto from "node:crypto";
import { OpenInference, Tracewright } from "./conventions.js";

/** One-shot hashing (Node ≥ 20.12) skips the Hash object: a third of the hash's cost for a 1 KB state. */
const oneShotHash = (crypto as Partial<typeof crypto>).hash;

/** sha256 of a serialized state, lower-case hex: the `tracewright.input.hash`. */
export function hashJson(json: string): string {
  return oneShotHash === undefined ? crypto.createHash("sha256").update(json).digest("hex") : oneShotHash("sha256", json, "hex");
}

/**
 * A recorded step's input hash. The instrumentation hashes an input only when it needs the hash
 * itself — to send an oversized input by reference, its `input.value` then a marker, the hash
 * beside it — and leaves the common case to readers: `input.value` holds the whole input, and
 * its hash is derived here, off the agent's path. Undefined for a span that is no Tracewright
 * step (no `tracewright.step.key`) or that recorded no input.
 */
export function stepInputHash(attributes: Readonly<Record<string, unknown>>): string | undefined {
  const carried = attributes[Tracewright.INPUT_HASH];
  if (typeof carried === "string") return carried;
  const input = attributes[OpenInference.INPUT_VALUE];
  return typeof input === "string" && typeof attributes[Tracewright.STEP_KEY] === "string" ? hashJson(input) : undefined;
}
