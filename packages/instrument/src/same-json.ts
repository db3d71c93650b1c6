/**
 * Whether two recorded states are the same state. States are recorded with their keys in the
 * order the agent built them (serialize.ts), so a changed agent that builds the same state in
 * another order records another text — and another `tracewright.input.hash` — for what is the
 * same input. Replay and the dashboard's comparison ask this, not the texts or the hashes alone.
 */

/** JSON text of a parsed state with every object's keys sorted (UTF-16 code units; arrays keep their order), or undefined when it cannot be written. */
export function canonicalJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value ?? null, (_key, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? sortedCopy(v as Record<string, unknown>) : v));
  } catch {
    // Deeper than the stack: no canonical text, so no claim of sameness either.
    return undefined;
  }
}

function sortedCopy(object: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(object);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] as string) < (keys[i] as string);
  if (sorted) return object;
  keys.sort();
  const out: Record<string, unknown> = {};
  // A `__proto__` key (JSON.parse makes them) is data: assigned, it would set the copy's prototype.
  for (const key of keys) Object.defineProperty(out, key, { value: object[key], enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Whether two JSON texts hold the same value, but for the order of object keys: the same text,
 * or texts of one length whose {@link canonicalJson} are equal. (A reordering keeps a text's
 * length; what parsing collapses — a repeated key, a number past double precision, `1e400` and
 * `null` — mostly does not, and a recording is untrusted.) A text that does not parse is the
 * same as itself only.
 */
export function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const left = sortedJson(a);
  return left !== undefined && left === sortedJson(b);
}

/** A JSON text written again with every object's keys sorted ({@link canonicalJson}); undefined when it does not parse or cannot be written. */
export function sortedJson(json: string): string | undefined {
  try {
    return canonicalJson(JSON.parse(json));
  } catch {
    return undefined;
  }
}
