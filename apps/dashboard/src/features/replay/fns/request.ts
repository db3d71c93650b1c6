import type { ReplayRequest } from "../types";

const MODES = new Set(["reproduce", "verify-fix", "fork"]);

/** Validates a posted replay request; returns it, or the reason it is not one. */
export function parseReplayRequest(body: unknown): { ok: true; request: ReplayRequest } | { ok: false; message: string } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { ok: false, message: "The body must be a JSON object: { mode, from?, state?, fixes?, stop?, allowSideEffects? }." };
  const b = body as Record<string, unknown>;
  if (typeof b.mode !== "string" || !MODES.has(b.mode)) return { ok: false, message: `mode must be one of reproduce, verify-fix, fork; got ${JSON.stringify(b.mode)}.` };
  if (b.from !== undefined && typeof b.from !== "string") return { ok: false, message: "from must be a step key (a string)." };
  if (b.mode === "fork" && (typeof b.from !== "string" || b.from === "")) return { ok: false, message: "A fork needs from: the key of the step to fork from." };
  if (b.fixes !== undefined && (!Array.isArray(b.fixes) || !b.fixes.every((f) => typeof f === "string"))) return { ok: false, message: "fixes must be a list of names." };
  const request: ReplayRequest = { mode: b.mode as ReplayRequest["mode"] };
  if (typeof b.from === "string") request.from = b.from;
  if ("state" in b) request.state = b.state;
  if (Array.isArray(b.fixes)) request.fixes = b.fixes as string[];
  if (b.stop === true) request.stop = true;
  if (b.allowSideEffects === true) request.allowSideEffects = true;
  return { ok: true, request };
}

/** Parses the state editor's text, naming the line of a JSON error. */
export function parseEditedState(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `The edited state is not valid JSON: ${(error as Error).message}` };
  }
}
