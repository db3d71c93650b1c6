import { describe, expect, it } from "vitest";
import { canonicalJson, sameJson } from "./same-json.js";

describe("canonicalJson / sameJson", () => {
  it("sorts every object's keys and keeps arrays in their order", () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }, 0], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1},0]}');
    expect(canonicalJson(undefined)).toBe("null");
    // A `__proto__` key, as JSON.parse makes it, stays a key: sorted, never the copy's prototype.
    expect(canonicalJson(JSON.parse('{"z":1,"__proto__":{"y":1,"x":2}}'))).toBe('{"__proto__":{"x":2,"y":1},"z":1}');
  });

  it("has no text for a state deeper than the stack, and such a state is the same as no other", () => {
    const depth = 200_000;
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(canonicalJson({ a: (() => { let v: unknown = 0; for (let i = 0; i < depth; i++) v = [v]; return v; })() })).toBeUndefined();
    expect(sameJson(deep, deep)).toBe(true);
    expect(sameJson(deep, `${deep} `)).toBe(false);
  });

  it("takes texts for the same state whatever their key order, and tells changed ones apart", () => {
    expect(sameJson('{"b":1,"a":{"y":[1,2],"x":"s"}}', '{"a":{"x":"s","y":[1,2]},"b":1}')).toBe(true);
    expect(sameJson('{"a":[1,2]}', '{"a":[2,1]}')).toBe(false);
    expect(sameJson('{"a":1}', '{"a":1,"b":null}')).toBe(false);
    expect(sameJson('{"a":"1"}', '{"a":1}')).toBe(false);
    // What parsing collapses is no reordering: a repeated key, a number past double precision.
    expect(sameJson('{"a":1,"a":2}', '{"a":2}')).toBe(false);
    expect(sameJson("[1e400]", "[null]")).toBe(false);
    // A text that does not parse is the same as itself only.
    expect(sameJson("{", "{")).toBe(true);
    expect(sameJson("{", "{ ")).toBe(false);
  });
});
