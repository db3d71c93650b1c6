import { describe, expect, it } from "vitest";
import { jsonDiff, mergePatch } from "./json-patch.js";

describe("jsonDiff", () => {
  it("writes the RFC 6902 operations that turn one state into the other, escaping pointer segments", () => {
    // A level's added and removed keys first, then what changed inside the keys both have, in key order.
    expect(jsonDiff({ a: 1, "x/y": [1, 2, 3], "t~": true }, { a: 2, "x/y": [1, 2], n: null, "t~": false })).toEqual([
      { op: "add", path: "/n", value: null },
      { op: "replace", path: "/a", value: 2 },
      { op: "replace", path: "/t~0", value: false },
      { op: "remove", path: "/x~1y/2" },
    ]);
    expect(jsonDiff({ q: "same" }, { q: "same" })).toEqual([]);
  });

  it("reads keys named like Object.prototype's members as data", () => {
    // `key in b` saw the inherited `constructor`: a removed key was reported as replaced by undefined.
    expect(jsonDiff({ constructor: "x", toString: 1 }, {})).toEqual([
      { op: "remove", path: "/constructor" },
      { op: "remove", path: "/toString" },
    ]);
    expect(jsonDiff({}, { hasOwnProperty: "y" })).toEqual([{ op: "add", path: "/hasOwnProperty", value: "y" }]);
    expect(jsonDiff(JSON.parse('{"__proto__":{"a":1}}'), {})).toEqual([{ op: "remove", path: "/__proto__" }]);
  });

  it("stops at the limit", () => {
    const from = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    expect(jsonDiff(from, {}, 10)).toHaveLength(10);
  });
});

describe("mergePatch", () => {
  it("merges objects key by key, deletes on null, replaces the rest, and leaves the target alone", () => {
    const target = { a: { b: 1, c: 2 }, d: [1], e: "x" };
    expect(mergePatch(target, { a: { c: null, z: 3 }, d: [2], e: { f: 1 } })).toEqual({ a: { b: 1, z: 3 }, d: [2], e: { f: 1 } });
    expect(target).toEqual({ a: { b: 1, c: 2 }, d: [1], e: "x" });
    expect(mergePatch({ a: 1 }, "whole")).toBe("whole");
  });

  it("writes a `__proto__` key as data, never as the result's prototype", () => {
    const patched = mergePatch({ a: 1 }, JSON.parse('{"__proto__":{"polluted":true},"b":{"__proto__":"x"}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(patched)).toBe(Object.prototype);
    expect(JSON.stringify(patched)).toBe('{"a":1,"__proto__":{"polluted":true},"b":{"__proto__":"x"}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
