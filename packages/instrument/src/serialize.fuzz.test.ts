import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sameJson } from "./same-json.js";
import { hashJson } from "./hash.js";
import { revive, serialize, setRedaction } from "./serialize.js";

// Property-based tests of the safe serializer (STYLE.md §4): whatever the agent hands it, it
// never throws, its output is always valid JSON, it keeps the value's key order (as JSON.stringify
// writes it: replay hands a state back as it was), equal values built in another key order are
// the same state (`sameJson`), and what JSON can represent comes back unchanged.
// Redaction is off here (it has its own properties in redact.test.ts): these are the
// serializer's own guarantees. A failure prints fast-check's seed and shrunk counterexample.

beforeAll(() => setRedaction({ enabled: false }));
afterAll(() => setRedaction(undefined));

const RUNS = { numRuns: 300 };

/** Any JavaScript value the agent's code might hold, JSON's and beyond it. */
const anyValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.jsonValue(),
    fc.bigInt(),
    fc.double(),
    fc.constantFrom(undefined, null, Number.NaN, Infinity, -Infinity, -0),
    fc.string({ unit: "binary" }),
    fc.date({ noInvalidDate: false }),
    fc.constant(Symbol("s")),
    fc.constant(() => 1),
    fc.constant(class Thing {}),
    fc.uint8Array({ maxLength: 20 }),
    fc.string().map((m) => new Error(m)),
    fc.constant(Object.create(null) as object),
  ),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("array"), tie("object"), tie("map"), tie("set")),
  array: fc.array(tie("node"), { maxLength: 5 }),
  object: fc.dictionary(fc.string(), tie("node"), { maxKeys: 5 }),
  map: fc.array(fc.tuple(tie("leaf"), tie("node")), { maxLength: 3 }).map((entries) => new Map(entries)),
  set: fc.array(tie("leaf"), { maxLength: 3 }).map((values) => new Set(values)),
})).node;

/** Rebuilds a plain JSON value with every object's keys inserted in another order. */
function reorder(value: unknown, pick: (n: number) => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, pick));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const shuffled: [string, unknown][] = [];
  while (entries.length > 0) shuffled.push(...entries.splice(pick(entries.length), 1));
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: a "__proto__" key stays a key of its own (as JSON.parse makes it).
  for (const [k, v] of shuffled) Object.defineProperty(out, k, { value: reorder(v, pick), enumerable: true, writable: true, configurable: true });
  return out;
}

describe("serialize (properties)", () => {
  it("never throws, and always returns valid JSON, for any value", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const text = serialize(value);
        expect(typeof text).toBe("string");
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      RUNS,
    );
  });

  it("never throws on cycles, marking each with the path of the ancestor it points to", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.jsonValue(), (path, filler) => {
        const root: Record<string, unknown> = { filler };
        let at = root;
        for (const key of path) at = (at[key] = { filler }) as Record<string, unknown>;
        at.back = root;
        at.self = at;
        const text = serialize(root);
        expect(text).toContain('"$type":"Circular"');
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it("never throws on nesting far deeper than the stack, nor on huge strings", () => {
    // 30,000 and 100,000 levels overflow JSON.stringify's recursion, so the iterative slow path
    // is what runs (linear in depth: its ancestors are a Map, not a list searched at each level).
    for (const depth of [1_000, 30_000, 100_000]) {
      let deep: unknown = "leaf";
      for (let i = 0; i < depth; i++) deep = i % 2 === 0 ? [deep] : { d: deep };
      const text = serialize(deep);
      expect(() => JSON.parse(text)).not.toThrow();
      expect(text.startsWith(depth % 2 === 0 ? '{"d":[' : '[{"d":')).toBe(true);
      expect(text.length).toBe(JSON.stringify("leaf").length + (depth / 2) * '{"d":[]}'.length);
    }
    const huge = "é\u0000\"\\\n".repeat(2_000_000);
    const text = serialize({ huge });
    expect((JSON.parse(text) as { huge: string }).huge).toBe(huge);
  });

  it("never throws on getters, toJSON or Proxy traps that throw", () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (message, other) => {
        const getter = Object.defineProperty({ other }, "bad", { enumerable: true, get: () => { throw new Error(message); } });
        const toJson = { other, toJSON: () => { throw new Error(message); } };
        const proxy = new Proxy({ other }, { ownKeys: () => { throw new Error(message); } });
        for (const value of [getter, toJson, proxy, [getter], { nested: proxy }]) expect(() => JSON.parse(serialize(value))).not.toThrow();
      }),
      { numRuns: 50 },
    );
  });

  it("keeps key order, and the same value built in any key order is the same state", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.infiniteStream(fc.nat()), (value, stream) => {
        const it = stream[Symbol.iterator]();
        const other = reorder(value, (n) => (it.next().value as number) % n);
        const a = serialize(value);
        const b = serialize(other);
        expect(a).toBe(JSON.stringify(value));
        expect(b).toBe(JSON.stringify(other));
        expect(sameJson(a, b)).toBe(true);
        if (a === b) expect(hashJson(b)).toBe(hashJson(a));
      }),
      RUNS,
    );
  });

  it("tells values apart whatever their key order: a changed leaf is another state", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.infiniteStream(fc.nat()), (value, stream) => {
        const it = stream[Symbol.iterator]();
        const other = reorder(value, (n) => (it.next().value as number) % n) as Record<string, unknown>;
        const first = Object.keys(other)[0] as string;
        other[first] = { changed: other[first] ?? null };
        expect(sameJson(serialize(value), serialize(other))).toBe(false);
      }),
      RUNS,
    );
  });

  it("round-trips every value JSON can represent", () => {
    // What JSON represents of a value is what JSON.stringify writes (-0 becomes 0, as there).
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(revive(serialize(value))).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
      RUNS,
    );
  });

  it("round-trips what it tags: BigInt, Date, Map, Set, typed arrays, non-finite numbers, undefined", () => {
    const taggable = fc.oneof(
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, undefined),
      fc.uint8Array({ maxLength: 16 }),
      fc.array(fc.tuple(fc.string(), fc.integer()), { maxLength: 4 }).map((e) => new Map(e)),
      fc.array(fc.integer(), { maxLength: 4 }).map((v) => new Set(v)),
    );
    fc.assert(
      fc.property(fc.array(taggable, { maxLength: 5 }), (values) => {
        expect(revive(serialize(values))).toEqual(values);
        expect(revive(serialize({ v: values }))).toEqual({ v: values });
      }),
      RUNS,
    );
  });
});
