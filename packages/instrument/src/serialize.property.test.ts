import { createHash } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { compileRedaction, mayHoldSecret } from "./redact.js";
import { hashJson } from "./hash.js";
import { serialize, serializeFast, serializeGeneral, setRedaction } from "./serialize.js";

afterEach(() => setRedaction(undefined));

/** Keys that order, parse or look up unusually: indexes and near-indexes, inherited names, secret names. */
const trickyKey = fc.constantFrom("0", "1", "2", "10", "01", "-1", "1.5", "1e3", "4294967294", "4294967295", "9007199254740993", "constructor", "toString", "hasOwnProperty", "valueOf", "a", "b", "B", "_", "é", "😀", "", " ", "password", "apiKey", "db.token", "inputTokens", "__proto__");
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.stringMatching(/^[0-9]{1,3}$/), trickyKey);
/** Keys no redaction masks and no fast-path rule declines. */
const plainKey = fc.oneof(fc.stringMatching(/^[a-z0-9]{0,6}$/), fc.constantFrom("0", "10", "01", "4294967295", "constructor", "toString", "B", "é", "😀", "inputTokens")).filter((k) => !/pass|secret|token|key|auth|cookie|session|credential/i.test(k));

/** Secret shapes, near misses (false alarms of the screen) and hard strings (lone surrogates, escapes). */
const secret = fc.oneof(
  fc.stringMatching(/^(AKIA|ASIA)[A-Z0-9]{16}$/),
  fc.stringMatching(/^[A-Za-z0-9]{1,20}$/).map((t) => `Bearer ${t}`),
  fc.stringMatching(/^[A-Za-z0-9]{24}$/).map((t) => `sk-${t}`),
  fc.stringMatching(/^[A-Za-z0-9]{32}$/).map((t) => `ghp_${t}`),
  fc.stringMatching(/^[A-Za-z0-9]{10,12}$/).map((t) => `xoxb-${t}`),
  fc.constant("-----BEGIN RSA PRIVATE KEY-----\nMIIE\"q\\\n-----END RSA PRIVATE KEY-----"),
);
const nearMiss = fc.constantFrom("task-force risk-free desk-job", "the bearer of news", "Bearer", "Bearer ", "ASIAN markets", "gh_x gho_ ghp_short", "xox", "a PRIVATE KEY in prose", "sk-short");
const text = fc.oneof(fc.string(), fc.string({ unit: "binary", maxLength: 20 }), secret, nearMiss, fc.tuple(fc.string({ maxLength: 8 }), secret, fc.string({ maxLength: 8 })).map(([a, s, b]) => `${a} ${s} ${b}`));

const number = fc.oneof(fc.integer(), fc.double(), fc.constant(-0));
const finite = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0));

/** JSON-shaped values; `nullProto` objects too, and undefined fields (JSON drops them). */
function tree(keyArb: fc.Arbitrary<string>, leaf: fc.Arbitrary<unknown>, holes: boolean) {
  return fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
    array: fc.array(holes ? fc.oneof(tie("value"), fc.constant(undefined)) : tie("value"), { maxLength: 5 }),
    object: fc
      .tuple(fc.array(fc.tuple(keyArb, fc.oneof(tie("value"), fc.constant(undefined))), { maxLength: 6 }), fc.boolean())
      .map(([entries, nullProto]) => {
        const o: Record<string, unknown> = nullProto ? (Object.create(null) as Record<string, unknown>) : {};
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }),
  })).value;
}

const anyJson = tree(key, fc.oneof(text, number, fc.boolean(), fc.constant(null)), true);
const plainJson = tree(plainKey, fc.oneof(fc.string(), fc.string({ unit: "binary", maxLength: 20 }), nearMiss, finite, fc.boolean(), fc.constant(null)), false);

/** The fast path writes the value itself, and exactly what the general path writes. */
function expectTakenByFastPath(value: unknown): void {
  const fast = serializeFast(value);
  expect(fast).toBeDefined();
  expect(fast).toBe(serializeGeneral(value));
}

describe("serialize: the fast path writes what the general path writes", () => {
  it("byte for byte, on generated JSON-shaped values with tricky keys and strings, secrets included", () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        const general = serializeGeneral(value);
        const fast = serializeFast(value);
        if (fast !== undefined) expect(fast).toBe(general);
        expect(serialize(value)).toBe(general);
      }),
      { numRuns: 2000 },
    );
  });

  it("takes plain values itself, whatever their key order", () => {
    fc.assert(fc.property(plainJson, expectTakenByFastPath), { numRuns: 1000 });
  });

  it("byte for byte on states of a few fields holding lists of records", () => {
    const record = fc.dictionary(plainKey, fc.oneof(fc.string({ maxLength: 8 }), finite, fc.boolean()), { maxKeys: 5 });
    const stateOf = fc.dictionary(plainKey, fc.oneof(fc.array(record, { minLength: 10, maxLength: 40 }), fc.string(), record), { minKeys: 1, maxKeys: 5 });
    fc.assert(fc.property(stateOf, expectTakenByFastPath), { numRuns: 300 });
    const docs = Array.from({ length: 200 }, (_, i) => ({ id: `doc-${i}`, score: i / 7, text: "lorem ipsum", tags: ["a"] }));
    const state = { query: "q", items: docs, meta: { b: 1, a: 2 }, note: undefined };
    expect(serializeFast(state)).toBe(serializeGeneral(state));
    // Keys in the order the value holds them: what JSON.stringify writes and replay hands back.
    expect(serializeFast(state)?.startsWith('{"query":"q","items":[{"id":"doc-0","score":0,"text":"lorem ipsum","tags":["a"]}')).toBe(true);
    expect(serializeFast(state)).toBe(JSON.stringify(state));
  });

  it("byte for byte on anything: Dates, Maps, Sets, BigInts, typed arrays, sparse arrays, boxed values", () => {
    const anything = fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, withObjectString: true });
    fc.assert(
      fc.property(anything, (value) => {
        expect(serialize(value)).toBe(serializeGeneral(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("byte for byte under configured redaction: extra keys and patterns, paths and a custom function, and off", () => {
    const configs = [
      { keys: ["ssn", /^card/i], patterns: [/\b\d{4}-\d{4}\b/g] },
      { paths: ["$.a", "$.b[*]"], custom: (v: unknown) => (v === "x" ? "<x>" : v) },
      { enabled: false },
    ];
    for (const config of configs) {
      setRedaction(config);
      fc.assert(
        fc.property(tree(fc.oneof(key, fc.constantFrom("ssn", "cardNo", "a", "b")), fc.oneof(text, fc.constantFrom("pay 1234-5678 now", "x"), finite, fc.boolean(), fc.constant(null)), true), (value) => {
          expect(serialize(value)).toBe(serializeGeneral(value));
        }),
        { numRuns: 500 },
      );
    }
  });

  it("declines what needs the general path: secret keys, masked strings, non-JSON values", () => {
    expect(serializeFast({ user: "ana", password: "hunter2" })).toBeUndefined();
    expect(serializeFast({ note: "key AKIAIOSFODNN7EXAMPLE" })).toBeUndefined();
    expect(serializeFast({ when: new Date(0) })).toBeUndefined();
    expect(serializeFast([1, undefined])).toBeUndefined();
    expect(serializeFast({ n: Number.NaN })).toBeUndefined();
    expect(serializeFast(JSON.parse('{"__proto__":{"a":1}}'))).toBeUndefined();
    const hidden = Object.defineProperty({ a: 1 }, "toJSON", { value: () => ({ password: "hunter2" }) });
    expect(serializeFast(hidden)).toBeUndefined();
    expect(serialize(hidden)).toBe('{"password":"[REDACTED]"}');
    // A key held non-enumerable is not written, as on the general path (a secret in it is never read).
    const covert = [{ note: "n", a: 1 }, Object.defineProperty({ a: 2, b: 1 }, "note", { value: "key AKIAIOSFODNN7EXAMPLE" })];
    expect(serializeFast(covert)).toBe('[{"note":"n","a":1},{"a":2,"b":1}]');
    expect(serialize(covert)).toBe(serializeGeneral(covert));
    class Listing extends Array<number> {}
    expect(serializeFast(Listing.from([1, 2]))).toBe("[1,2]");
    // Records that share their keys, then one that does not: each is judged.
    expect(serializeFast([{ a: 1, b: 2 }, { a: 1, b: 2 }, { b: 1, a: 2 }, { a: 1, token: "t" }])).toBeUndefined();
    expect(serializeFast([{ a: 1, b: 2 }, { a: 1, b: 2, c: 3 }, { a: 1 }, { b: 1, a: 2 }])).toBe('[{"a":1,"b":2},{"a":1,"b":2,"c":3},{"a":1},{"b":1,"a":2}]');
    expect(serializeFast([{ a: 1, b: 2 }, { c: 1, b: 2 }])).toBe('[{"a":1,"b":2},{"c":1,"b":2}]');
    expect(serializeFast([{ a: 1, b: 2, c: 3 }, { x: 1 }, { x: 1, b: 2, c: 3 }])).toBe('[{"a":1,"b":2,"c":3},{"x":1},{"x":1,"b":2,"c":3}]');
    // A record of the last shape but for a field that is no JSON, after its keys matched.
    expect(serializeFast([{ a: 1, b: 2 }, { a: 1, b: Number.NaN }])).toBeUndefined();
    expect(serializeFast([{ a: 1, b: 2 }, { a: 1, b: [new Date(0)] }])).toBeUndefined();
    // A wide dictionary of records, each of its own keys (out of order): written, the same.
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`r${i}`, Object.fromEntries(Array.from({ length: 30 }, (_, j) => [`k${i}_${29 - j}`, j]))]));
    expect(serializeFast(wide)).toBe(serializeGeneral(wide));
    // A false alarm of the screen is still written by the fast path.
    expect(serializeFast({ note: "a risk-free task-force" })).toBe('{"note":"a risk-free task-force"}');
    // Index-like keys first, in numeric order, as JavaScript enumerates them; the rest as built.
    expect(serializeFast({ b: 1, a: [{ d: 1, c: 2 }], 10: 0, 2: 0 })).toBe('{"2":0,"10":0,"b":1,"a":[{"d":1,"c":2}]}');
  });

  it("byte for byte through the plain walk: long lists of records of one shape, shapes changing mid-list", () => {
    // 40+ records of a first shape (z first), others among them every 17th.
    const numbers = fc.oneof(finite, fc.constantFrom(-0, 1e21, 1e-7, 2 ** 53, -1.5e300));
    const anyLeaf = fc.oneof(text, numbers, fc.boolean(), fc.constant(null), fc.constant(undefined));
    const plainLeaf = fc.oneof(fc.string(), fc.string({ unit: "binary", maxLength: 20 }), nearMiss, numbers, fc.boolean(), fc.constant(null));
    const recordOf = (keys: fc.Arbitrary<string>, leaf: fc.Arbitrary<unknown>) =>
      fc.tuple(fc.array(fc.tuple(keys, fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(keys, leaf, { maxKeys: 3 }))), { maxLength: 5 }), leaf).map(([entries, z]) => {
        const o: Record<string, unknown> = {};
        Object.defineProperty(o, "z", { value: z, enumerable: true, writable: true, configurable: true });
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      });
    const list = (keys: fc.Arbitrary<string>, leaf: fc.Arbitrary<unknown>) => fc.tuple(recordOf(keys, leaf), fc.array(recordOf(keys, leaf), { maxLength: 4 }), fc.integer({ min: 40, max: 80 })).map(([first, others, n]) => Array.from({ length: n }, (_, i) => (i % 17 === 16 && others.length > 0 ? others[i % others.length] : first)));
    fc.assert(
      fc.property(list(key, anyLeaf), (value) => {
        const general = serializeGeneral(value);
        const fast = serializeFast(value);
        if (fast !== undefined) expect(fast).toBe(general);
        expect(serialize(value)).toBe(general);
      }),
      { numRuns: 300 },
    );
    fc.assert(fc.property(list(plainKey, plainLeaf).map((records) => ({ q: "x", items: records.map((r) => JSON.parse(JSON.stringify(r)) as unknown) })), (value) => {
      expect(serializeFast(value)).toBe(serializeGeneral(value));
    }), { numRuns: 200 });
  });

  it("the plain walk on the cases it decides itself: escapes, numbers, index keys, secrets, __proto__, getters, hidden fields, null prototypes, shared subtrees", () => {
    const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
    const same = (value: unknown): void => expect(serialize(value)).toBe(serializeGeneral(value));
    const odd = { z: 'quote " back \\ nl \n tab \t nul \u0000 lone \ud800 pair 😀 line \u2028 del \u007f', "k\u00e9y\n\"\ud83d": -0, "10": 1e21, "2": -1e-7, a: [Number.MIN_VALUE, -0, 0.1 + 0.2] };
    expectTakenByFastPath(many(50, () => odd));
    expectTakenByFastPath([odd]);
    expect(serializeFast([odd])?.startsWith('[{"2":-1e-7,"10":1e+21,"z":"quote')).toBe(true);
    expect(serializeFast([odd])?.endsWith('"a":[5e-324,0,0.30000000000000004]}]')).toBe(true);
    // Shapes that change mid-list and nest.
    expectTakenByFastPath(many(100, (i) => (i % 3 === 0 ? { b: i, a: { y: [i], x: "s" } } : i % 3 === 1 ? { b: i, a: { x: "t", y: [] }, c: undefined } : { c: i, b: { d: 1, c: 2 } })));
    // A secret-named key in a record of a long list: masked by the general path, never written.
    const withSecret = many(60, (i) => (i === 45 ? { z: 1, api_key: "k-123", a: 2 } : { z: 1, a: 2 }));
    expect(serializeFast(withSecret)).toBeUndefined();
    expect(serialize(withSecret)).toContain('"api_key":"[REDACTED]"');
    // A secret-shaped string in a field of a record of the last shape.
    const withToken = many(60, (i) => ({ z: 1, a: i === 50 ? "use AKIAIOSFODNN7EXAMPLE" : "fine" }));
    expect(serializeFast(withToken)).toBeUndefined();
    expect(serialize(withToken)).not.toContain("AKIAIOSFODNN7EXAMPLE");
    // A __proto__ key (as JSON.parse makes it) in a long list: the general path keeps it as data.
    const protoKey = many(60, (i) => (i === 40 ? (JSON.parse('{"z":1,"__proto__":{"a":1}}') as unknown) : { z: 1, a: 2 }));
    expect(serializeFast(protoKey)).toBeUndefined();
    same(protoKey);
    // Getters are read, a throwing one declines; hidden (non-enumerable) fields and symbols are not written.
    let reads = 0;
    const getters = many(60, (i) => Object.defineProperty({ z: i }, "a", { enumerable: true, get: () => (reads++, i * 2) }));
    expectTakenByFastPath(getters);
    expect(reads).toBeGreaterThan(0);
    same(many(60, (i) => Object.defineProperty({ z: i, a: 1 }, "hidden", { value: "x", enumerable: false })));
    same(many(60, (i) => ({ z: i, a: 1, [Symbol("s")]: 2 })));
    const throwing = many(60, (i) => (i === 55 ? Object.defineProperty({ z: i }, "a", { enumerable: true, get: () => { throw new Error("no"); } }) : { z: i, a: 1 }));
    expect(serializeFast(throwing)).toBeUndefined();
    same(throwing);
    // Non-JSON leaves in records of the last shape send the whole value to the general path.
    for (const bad of [Number.NaN, Infinity, 1n, () => 1, Symbol("s"), new Date(0), new Map()]) {
      const list = many(60, (i) => ({ z: i, a: i === 50 ? bad : 1 }));
      expect(serializeFast(list)).toBeUndefined();
      same(list);
    }
    // Null-prototype records, and keys that name Object.prototype's properties.
    expectTakenByFastPath(many(60, (i) => Object.assign(Object.create(null) as object, { z: i, a: { d: 1, c: 2 } })));
    expectTakenByFastPath(many(60, (i) => ({ toString: i, constructor: "c", hasOwnProperty: [i], valueOf: null })));
    // Records of two key orders alternating, at every depth.
    expectTakenByFastPath(many(60, (i) => (i % 2 === 0 ? { a: i, b: { c: [{ d: 1, e: 2 }] } } : { a: i, b: { c: [{ e: 2, d: 1 }] } })));
    const holes = many(60, (i) => ({ z: i, a: i === 50 ? [1, undefined] : [1] }));
    expect(serializeFast(holes)).toBeUndefined();
    same(holes);
  });

  it("judges a step's input and output of two shapes each by its own, a secret-named key among them", () => {
    // The walk remembers two shapes a depth: a tool's arguments and its result, one after the other.
    const args = { query: "lambda pricing", limit: 3 };
    const result = { hits: [{ id: "a", score: 0.5 }], total: 1 };
    const secret = { query: "q", api_key: "k-123" };
    for (let i = 0; i < 3; i++) {
      expectTakenByFastPath(args);
      expectTakenByFastPath(result);
    }
    // The secret-named shape is the one before the last when it comes again: still masked.
    for (let i = 0; i < 3; i++) {
      expect(serializeFast(secret)).toBeUndefined();
      expect(serialize(secret)).toBe('{"query":"q","api_key":"[REDACTED]"}');
      expectTakenByFastPath(args);
    }
    // A value of the shape before the last whose field is no JSON: declined, not written as JSON would.
    expectTakenByFastPath(result);
    expect(serializeFast({ query: "q", limit: Number.NaN })).toBeUndefined();
    expect(serializeFast({ query: "q", limit: [undefined] })).toBeUndefined();
    expect(serializeFast({ hits: [], total: 1 })).toBe('{"hits":[],"total":1}');
  });

  it("declines while Object.prototype has an enumerable property, and records the same", () => {
    const value = { b: 1, a: 2 };
    Object.defineProperty(Object.prototype, "polluted", { value: 1, enumerable: true, writable: true, configurable: true });
    try {
      expect(serializeFast(value)).toBeUndefined();
      expect(serialize(value)).toBe('{"b":1,"a":2}');
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(serializeFast(value)).toBe('{"b":1,"a":2}');
  });

  it("keeps a __proto__ key as data on the general path", () => {
    expect(serialize(JSON.parse('{"z":1,"__proto__":{"a":1}}'))).toBe('{"z":1,"__proto__":{"a":1}}');
    // And masks a secret beside it, keeping both in their order.
    expect(serialize(JSON.parse('{"z":1,"__proto__":{"a":1},"token":"t"}'))).toBe('{"z":1,"__proto__":{"a":1},"token":"[REDACTED]"}');
  });
});

describe("the secret screen", () => {
  it("is never false when redaction would change a string", () => {
    const redactor = compileRedaction();
    fc.assert(
      fc.property(text, (s) => {
        if (redactor?.text(s) !== s) expect(mayHoldSecret(JSON.stringify(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("answers the same for a short text (one regex) as for that text made long (its scans)", () => {
    // "." is in no shape's fixed part: padding can neither make one nor break one.
    const long = (json: string) => `${json}${".".repeat(256)}`;
    fc.assert(
      fc.property(text, (s) => {
        const json = JSON.stringify(s);
        expect(mayHoldSecret(json)).toBe(mayHoldSecret(long(json)));
      }),
      { numRuns: 2000 },
    );
    for (const part of ["AKIA", "ASIA", "Bearer", "xox", "PRIVATE KEY", "k_live_", "k_test_", "whsec_", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) {
      expect(mayHoldSecret(`"${part}"`)).toBe(true);
      expect(mayHoldSecret(long(`"${part}"`))).toBe(true);
    }
    for (const miss of ["k-", "ghx_", "AKI", "Beare", "k_live"]) expect(mayHoldSecret(long(`"${miss}"`))).toBe(mayHoldSecret(`"${miss}"`));
  });

  it("passes text without any secret shape's fixed part", () => {
    expect(mayHoldSecret('{"q":"lambda pricing","items":[{"id":"doc-1","text":"lorem ipsum"}]}')).toBe(false);
    expect(mayHoldSecret('{"k":"sk-x"}')).toBe(true);
    expect(mayHoldSecret('{"k":"ghs_x"}')).toBe(true);
  });
});

describe("hashJson", () => {
  it("is the sha256 of the text's UTF-8, one-shot or not", () => {
    for (const json of ['{"a":1}', '{"é":"😀"}', ""]) expect(hashJson(json)).toBe(createHash("sha256").update(json, "utf8").digest("hex"));
  });
});
