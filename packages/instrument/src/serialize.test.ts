import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cachedShapeChars } from "./plain.js";
import { sameJson } from "./same-json.js";
import { hashJson } from "./hash.js";
import { revive, serialize } from "./serialize.js";

describe("serialize", () => {
  it("keeps object keys in the value's order, revived so; equal states in another order are the same state", () => {
    const value = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 2 } };
    const a = serialize(value);
    const b = serialize({ a: { c: 2, d: [3, { y: 2, z: 1 }] }, b: 1 });
    expect(a).toBe('{"b":1,"a":{"d":[3,{"z":1,"y":2}],"c":2}}');
    expect(a).toBe(JSON.stringify(value));
    expect(Object.keys(revive(a) as object)).toEqual(["b", "a"]);
    expect(hashJson(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashJson(a)).not.toBe(hashJson(b));
    expect(sameJson(a, b)).toBe(true);
    expect(sameJson(a, serialize({ b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: 2 } }))).toBe(false);
    // Through the general path too (a Date sends the value there), and a Map keeps its entries' order.
    const general = serialize({ z: new Date(0), m: new Map([["y", 1], ["x", 2]]), a: 1 });
    expect(general).toBe('{"z":{"$type":"Date","value":"1970-01-01T00:00:00.000Z"},"m":{"$type":"Map","entries":[["y",1],["x",2]]},"a":1}');
  });

  it("tags what JSON cannot carry and revives it", () => {
    const when = new Date("2026-01-02T03:04:05.678Z");
    const value = {
      big: 12345678901234567890n,
      when,
      map: new Map<string, unknown>([["k", 1]]),
      set: new Set([1, 2]),
      list: [undefined, Number.NaN, Infinity],
      bytes: new Uint8Array([1, 2, 255]),
    };
    const json = serialize(value);
    expect(JSON.parse(json)).toEqual({
      big: { $type: "BigInt", value: "12345678901234567890" },
      bytes: { $type: "Uint8Array", base64: "AQL/" },
      list: [{ $type: "undefined" }, { $type: "Number", value: "NaN" }, { $type: "Number", value: "Infinity" }],
      map: { $type: "Map", entries: [["k", 1]] },
      set: { $type: "Set", values: [1, 2] },
      when: { $type: "Date", value: "2026-01-02T03:04:05.678Z" },
    });
    const back = revive(json) as typeof value;
    expect(back.big).toBe(12345678901234567890n);
    expect(back.when).toEqual(when);
    expect(back.map).toEqual(new Map([["k", 1]]));
    expect(back.set).toEqual(new Set([1, 2]));
    expect(back.list[0]).toBeUndefined();
    expect(back.list[1]).toBeNaN();
    expect(back.list[2]).toBe(Infinity);
    expect(back.bytes).toEqual(new Uint8Array([1, 2, 255]));
  });

  it("revives a tag it never wrote (a forged or damaged recording) as the object it is, never a throw", () => {
    const forged = ['{"$type":"BigInt","value":"abc"}', '{"$type":"Map","entries":[1,2]}', '{"$type":"Float64Array","base64":"AAAA"}', '{"$type":"RegExp","source":"(","flags":""}', '{"$type":"RegExp","source":"a","flags":"qq"}'];
    for (const json of forged) expect(revive(`[${json},1]`), json).toEqual([JSON.parse(json), 1]);
    expect(revive('{"$type":"BigInt","value":"12"}')).toBe(12n);
  });

  it("tags a Buffer (whose toJSON would write { type, data }) and a RegExp, and revives them, on every path", () => {
    const value = { file: Buffer.from("report\n"), pattern: /^run-\d+$/giu };
    const json = serialize(value);
    expect(JSON.parse(json)).toEqual({ file: { $type: "Buffer", base64: "cmVwb3J0Cg==" }, pattern: { $type: "RegExp", source: "^run-\\d+$", flags: "giu" } });
    const back = revive(json) as typeof value;
    expect(Buffer.isBuffer(back.file)).toBe(true);
    expect(back.file.toString()).toBe("report\n");
    expect(back.pattern).toEqual(/^run-\d+$/giu);
    expect(serialize(Buffer.from([1, 2]))).toBe('{"$type":"Buffer","base64":"AQI="}');
    expect(serialize([Buffer.from([1])])).toBe('[{"$type":"Buffer","base64":"AQ=="}]');
    // The slow path (a cycle beside them) writes the same tags.
    const cyclic: Record<string, unknown> = { ...value };
    cyclic.self = cyclic;
    expect(JSON.parse(serialize(cyclic))).toMatchObject(JSON.parse(json) as Record<string, unknown>);
  });

  it("keeps an AggregateError's errors", () => {
    const back = revive(serialize(new AggregateError([new Error("first"), new RangeError("second")], "two failed"))) as Error & { errors: Error[] };
    expect(back.name).toBe("AggregateError");
    expect(back.message).toBe("two failed");
    expect(back.errors.map((e) => `${e.name}: ${e.message}`)).toEqual(["Error: first", "RangeError: second"]);
    // Of their classes, as an agent that checks `instanceof` after Promise.any sees them.
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.errors[1]).toBeInstanceOf(RangeError);
    expect(Object.keys(back)).toEqual([]);
  });

  it("revives an error as the agent saw it: its built-in class, and the fields it held enumerable", () => {
    // As an SDK's error is made: a class of its own that sets its name and fields (AWS SDK v3's NoSuchKey).
    class NoSuchKey extends Error {
      readonly $fault = "client";
      readonly $metadata = { httpStatusCode: 404 };
      constructor(message: string) {
        super(message);
        this.name = "NoSuchKey";
      }
    }
    for (const error of [new NoSuchKey("The key does not exist"), Object.assign(new Error("plain"), { message: "set again" }), new TypeError("bad", { cause: "why" }), new SyntaxError("x"), new URIError("u")]) {
      const back = revive(serialize(error)) as Error;
      expect(JSON.stringify(back)).toBe(JSON.stringify(error));
      expect({ ...back }).toEqual({ ...error });
      expect(Object.keys(back)).toEqual(Object.keys(error));
      expect(Object.getPrototypeOf(back)).toBe(error instanceof NoSuchKey ? Error.prototype : Object.getPrototypeOf(error));
      expect([back.name, back.message]).toEqual([error.name, error.message]);
    }
    // An own field named like the tag's markers cannot unmake it.
    expect(revive(serialize(Object.assign(new Error("x"), { $type: "weird", $keys: 3, code: 1 })))).toMatchObject({ message: "x", code: 1 });
    expect(revive(serialize(Object.assign(new Error("x"), { $type: "weird" })))).toBeInstanceOf(Error);
    // A class of the agent's own is not known here: it comes back an Error of its name.
    expect(revive(serialize(new NoSuchKey("k")))).not.toBeInstanceOf(NoSuchKey);
  });

  it("revives every kind of binary data as its own kind", () => {
    const buffer = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
    const values = [buffer, new DataView(buffer, 2, 4), new Uint8ClampedArray([0, 255]), new BigInt64Array([-1n]), new BigUint64Array([2n ** 64n - 1n]), new Float64Array([0.5]), Buffer.from("hi")];
    for (const value of values) {
      const back = revive(serialize({ v: value })) as { v: unknown };
      expect(Object.getPrototypeOf(back.v)).toBe(Object.getPrototypeOf(value));
      expect(Buffer.from(ArrayBuffer.isView(back.v) ? new Uint8Array(back.v.buffer, back.v.byteOffset, back.v.byteLength) : new Uint8Array(back.v as ArrayBuffer))).toEqual(Buffer.from(ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value)));
    }
  });

  it("revives undefined in an array as a value, not a hole, and at the top", () => {
    const back = revive(serialize([1, undefined, 3])) as (number | undefined)[];
    expect(Object.keys(back)).toEqual(["0", "1", "2"]);
    expect(back.map((x) => x ?? 0)).toEqual([1, 0, 3]);
    expect(revive(serialize(undefined))).toBeUndefined();
    expect(revive(serialize({ a: [undefined], b: undefined }))).toEqual({ a: [undefined] });
    // A tag in an object's field (serialize never writes one there) drops the field, as JSON does.
    expect(revive('{"a":{"$type":"undefined"},"b":1}')).toEqual({ b: 1 });
  });

  it("leaves a user's object that has a $type key but not a tag's fields as it is", () => {
    for (const json of ['{"$type":"Error","message":"order not found","code":404}', '{"$type":"Map","entries":[],"extra":1}', '{"$type":"Number","value":"12"}', '{"$type":"undefined","why":"x"}', '{"$type":"Date","value":1,"tz":"x"}', '{"$type":"Buffer","base64":"AA==","n":1}']) {
      expect(revive(json)).toEqual(JSON.parse(json));
    }
    expect(revive('{"$type":"Number","value":"-Infinity"}')).toBe(Number.NEGATIVE_INFINITY);
  });

  it("records errors with their name, message, stack, own fields and cause", () => {
    const error = Object.assign(new TypeError("bad input", { cause: new Error("root") }), { code: "E_BAD" });
    const tag = JSON.parse(serialize(error)) as Record<string, unknown>;
    expect(tag).toMatchObject({ $type: "Error", name: "TypeError", message: "bad input", code: "E_BAD", cause: { $type: "Error", message: "root" } });
    expect(tag.stack).toContain("bad input");
    const back = revive(serialize(error)) as Error & { code: string };
    expect(back).toBeInstanceOf(Error);
    expect(back.message).toBe("bad input");
    expect(back.name).toBe("TypeError");
    expect(back.code).toBe("E_BAD");
  });

  it("marks cycles with the path of the ancestor instead of throwing", () => {
    const state: Record<string, unknown> = { name: "loop", inner: { list: [] as unknown[] } };
    ((state.inner as { list: unknown[] }).list).push(state, state.inner);
    const parsed = JSON.parse(serialize(state)) as { inner: { list: unknown[] }; name: string };
    expect(parsed.name).toBe("loop");
    expect(parsed.inner.list).toEqual([{ $type: "Circular", path: "$" }, { $type: "Circular", path: "$.inner" }]);
  });

  it("keeps shared (non-circular) references whole", () => {
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    expect(JSON.parse(serialize(cyclic))).toEqual({ a: { x: 1 }, b: { x: 1 }, self: { $type: "Circular", path: "$" } });
  });

  it("never throws: throwing getters and toJSON become markers", () => {
    const hostile = {
      ok: 1,
      get boom(): never {
        throw new Error("getter exploded");
      },
    };
    expect(JSON.parse(serialize(hostile))).toEqual({ boom: { $type: "Unserializable", reason: "Error: getter exploded" }, ok: 1 });
    const badToJson = { toJSON: () => { throw new Error("nope"); } };
    expect(() => serialize(badToJson)).not.toThrow();
    expect(serialize(() => 1)).toBe('{"$type":"Function","name":""}');
    expect(serialize(undefined)).toBe('{"$type":"undefined"}');
    expect(serialize(Symbol("s"))).toBe('{"$type":"Symbol","description":"s"}');
  });

  it("serializes a structure deeper than the call stack without throwing", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20_000; i++) deep = { next: deep };
    const json = serialize(deep);
    expect(json.startsWith('{"next":{"next":')).toBe(true);
    expect(json).toContain('"leaf":true');
  });

  it("keeps the shapes of dictionaries keyed by fresh ids within a bound, writing them in their order all the same", () => {
    // A state keyed by new ids every call (scores by document id) is a new key sequence each time:
    // 300 of 1,000 keys are 4 M characters of sequences, which the cache once kept (up to 2,048 of them).
    for (let call = 0; call < 300; call++) {
      const scores: Record<string, number> = {};
      for (let i = 999; i >= 0; i--) scores[`doc-${call}-${i}`] = i;
      const text = serialize({ scores });
      if (call === 299) expect(text.startsWith('{"scores":{"doc-299-999":999,"doc-299-998":998,')).toBe(true);
    }
    expect(cachedShapeChars()).toBeGreaterThan(0);
    expect(cachedShapeChars()).toBeLessThanOrEqual(1 << 20);
    // A sequence too long to keep (100,000 characters) is never cached, and still written in order.
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`${"k".repeat(90)}${999 - i}`, i]));
    const before = cachedShapeChars();
    expect(Object.keys(JSON.parse(serialize(wide)) as object)[0]).toBe(`${"k".repeat(90)}999`);
    expect(cachedShapeChars()).toBe(before);
  });

  it("drops undefined object fields as JSON does, and keeps a 1 MB state whole", () => {
    expect(serialize({ a: undefined, b: 1 })).toBe('{"b":1}');
    const big = { text: "x".repeat(1024 * 1024) };
    const json = serialize(big);
    expect(json.length).toBe(1024 * 1024 + 11);
    expect((revive(json) as typeof big).text.length).toBe(1024 * 1024);
  });
});

describe("serialize where code generation from strings is forbidden", () => {
  it("writes the same text without compiled shapes (node --disallow-code-generation-from-strings)", () => {
    // A child process, since the flag is process-wide; the built module, as an agent would load it.
    const script = `
      import { serialize } from ${JSON.stringify(new URL("../dist/serialize.js", import.meta.url).href)};
      const records = Array.from({ length: 200 }, (_, i) => ({ text: "t" + i, id: i, tags: ["b", "a"] }));
      console.log(JSON.stringify([serialize({ query: "q", items: records }), serialize({ query: "q", items: records })]));`;
    const child = spawnSync(process.execPath, ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    const [first, second] = JSON.parse(child.stdout) as string[];
    const records = Array.from({ length: 200 }, (_, i) => ({ text: `t${i}`, id: i, tags: ["b", "a"] }));
    expect(first).toBe(serialize({ query: "q", items: records }));
    expect(second).toBe(first);
  });
});
