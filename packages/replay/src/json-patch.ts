import type { PatchOperation } from "./types.js";

/** RFC 6901 pointer segment escaping. */
function escape(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The JSON Patch (RFC 6902: add, remove, replace) that turns `from` into `to`. Iterative, so
 * any depth works; arrays are compared index by index (a changed length adds or removes at the
 * end). At most `limit` operations, so a wholly different large state stays a short report.
 */
export function jsonDiff(from: unknown, to: unknown, limit = 200): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const stack: { a: unknown; b: unknown; path: string }[] = [{ a: from, b: to, path: "" }];
  while (stack.length > 0 && ops.length < limit) {
    const { a, b, path } = stack.pop() as { a: unknown; b: unknown; path: string };
    if (Object.is(a, b)) continue;
    if (Array.isArray(a) && Array.isArray(b)) {
      const pending: { a: unknown; b: unknown; path: string }[] = [];
      const shared = Math.min(a.length, b.length);
      for (let i = 0; i < shared; i++) pending.push({ a: a[i], b: b[i], path: `${path}/${i}` });
      for (let i = shared; i < b.length; i++) ops.push({ op: "add", path: `${path}/${i}`, value: b[i] });
      for (let i = a.length - 1; i >= shared; i--) ops.push({ op: "remove", path: `${path}/${i}` });
      for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as (typeof pending)[number]);
      continue;
    }
    if (isObject(a) && isObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      const pending: { a: unknown; b: unknown; path: string }[] = [];
      for (const key of keys) {
        const p = `${path}/${escape(key)}`;
        // Own keys only: `constructor` or `toString` in a state is data, not Object.prototype's.
        if (!Object.hasOwn(b, key)) ops.push({ op: "remove", path: p });
        else if (!Object.hasOwn(a, key)) ops.push({ op: "add", path: p, value: b[key] });
        else pending.push({ a: a[key], b: b[key], path: p });
      }
      for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as (typeof pending)[number]);
      continue;
    }
    ops.push({ op: "replace", path, value: b });
  }
  return ops.slice(0, limit);
}

/**
 * Applies a JSON Merge Patch (RFC 7386): objects merge key by key, `null` deletes, anything
 * else replaces. Returns a new value; the target is not modified.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const root: Record<string, unknown> = isObject(target) ? { ...target } : {};
  const stack: { into: Record<string, unknown>; patch: Record<string, unknown> }[] = [{ into: root, patch }];
  while (stack.length > 0) {
    const { into, patch: p } = stack.pop() as { into: Record<string, unknown>; patch: Record<string, unknown> };
    for (const [key, value] of Object.entries(p)) {
      if (value === null) {
        delete into[key];
      } else if (isObject(value)) {
        const current = Object.hasOwn(into, key) ? into[key] : undefined;
        const child: Record<string, unknown> = isObject(current) ? { ...current } : {};
        put(into, key, child);
        stack.push({ into: child, patch: value });
      } else {
        put(into, key, value);
      }
    }
  }
  return root;
}

/** Sets an own data property, whatever the key: assigning `__proto__` would set the object's prototype instead. */
function put(into: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(into, key, { value, writable: true, enumerable: true, configurable: true });
}
