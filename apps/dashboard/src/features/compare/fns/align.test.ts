import type { Step } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { Tracewright } from "@tracewright/instrument/conventions";
import { alignRuns, compareHref } from "./align";

function step(key: string, extra: Partial<Step> = {}): Step {
  return {
    key,
    kind: "node",
    name: key.slice(key.lastIndexOf("/") + 1),
    parentKey: null,
    status: "ok",
    startTime: "2026-01-01T00:00:00.000Z",
    durationMs: 10,
    input: { q: key },
    output: { ok: true },
    spanId: key,
    depth: key.split("/").length - 1,
    attributes: { "tracewright.input.hash": `h-${key}` },
    ...extra,
  };
}

describe("alignRuns", () => {
  it("pairs steps by key and finds the first divergence", () => {
    const a = [step("s"), step("s/plan"), step("s/fetch", { status: "error", error: { type: "Error", message: "503" }, output: null }), step("s/answer")];
    const b = [step("s"), step("s/plan", { durationMs: 11 }), step("s/fetch"), step("s/retry"), step("s/answer", { durationMs: 90 })];
    const cmp = alignRuns(a, b);
    expect(cmp.rows.map((r) => [r.key, r.a?.index ?? null, r.b?.index ?? null])).toEqual([
      ["s", 0, 0],
      ["s/plan", 1, 1],
      ["s/fetch", 2, 2],
      ["s/retry", null, 3],
      ["s/answer", 3, 4],
    ]);
    expect(cmp.firstDivergence).toBe(2);
    expect(cmp.rows[2]?.diff).toEqual({ presence: false, status: true, input: false, output: true, duration: false });
    expect(cmp.rows[1]?.diff.duration).toBe(false); // within tolerance
    expect(cmp.rows[4]?.diff).toMatchObject({ duration: true, output: false, input: false });
    expect(cmp.rows[3]?.diff.presence).toBe(true);
    expect(cmp.counts).toEqual({ same: 2, changed: 2, onlyA: 0, onlyB: 1 });
    expect(cmp.rows[2]?.a?.error).toBe("Error: 503");
  });

  it("finds where a difference started, not the steps above whose output carries it", () => {
    const a = [step("s"), step("s/n"), step("s/n/llm", { output: { text: "A" } }), step("s/n/tool")];
    const b = [step("s", { output: { other: 1 } }), step("s/n", { output: { other: 2 } }), step("s/n/llm", { output: { text: "B" } }), step("s/n/tool")];
    const cmp = alignRuns(a, b);
    expect(cmp.rows[0]?.diff.output).toBe(true);
    expect(cmp.firstDivergence).toBe(2);
  });

  it("does not take another clock, random or uuid reading for the divergence, but what follows from it", () => {
    const a = [step("s"), step("s/uuid:uuid#0", { kind: "uuid", output: "a1" }), step("s/clock:now#0", { kind: "clock", output: 1 }), step("s/tool:t#0", { kind: "tool", output: { n: 1 } })];
    const b = [step("s"), step("s/uuid:uuid#0", { kind: "uuid", output: "b2" }), step("s/clock:now#0", { kind: "clock", output: 2 }), step("s/tool:t#0", { kind: "tool", output: { n: 2 } })];
    const cmp = alignRuns(a, b);
    expect(cmp.rows[1]?.diff.output).toBe(true);
    expect(cmp.counts.changed).toBe(3);
    expect(cmp.firstDivergence).toBe(3);
    const sameRest = alignRuns(a.slice(0, 3), b.slice(0, 3));
    expect(sameRest.firstDivergence).toBe(-1);
  });

  it("takes equal input hashes for the same input, else compares the inputs themselves", () => {
    const changed = alignRuns([step("s"), step("s/n", { attributes: { "tracewright.input.hash": "x" }, input: { q: 1 } })], [step("s"), step("s/n", { attributes: { "tracewright.input.hash": "y" }, input: { q: 2 } })]);
    expect(changed.rows[1]?.diff.input).toBe(true);
    expect(changed.firstDivergence).toBe(1);
    const noHash = alignRuns([step("s", { attributes: {}, input: { a: 1, b: 2 } })], [step("s", { attributes: {}, input: { b: 2, a: 1 } })]);
    expect(noHash.rows[0]?.diff.input).toBe(false);
    expect(noHash.firstDivergence).toBe(-1);
  });

  it("says the runs were given different inputs, and finds the divergence below the roots, where their steps parted", () => {
    // Two runs asked different things differ at their roots: the failing tool is where they parted.
    const a = [step("s", { attributes: { "tracewright.input.hash": "goal-a" }, input: { goal: "a" } }), step("s/plan"), step("s/fetch", { status: "error", output: null })];
    const b = [step("s", { attributes: { "tracewright.input.hash": "goal-b" }, input: { goal: "b" } }), step("s/plan"), step("s/fetch")];
    const cmp = alignRuns(a, b);
    expect(cmp.rows[0]?.diff.input).toBe(true);
    expect(cmp.rootInputsDiffer).toBe(true);
    expect(cmp.firstDivergence).toBe(2);
    expect(alignRuns(a.slice(0, 2), b.slice(0, 2))).toMatchObject({ rootInputsDiffer: true, firstDivergence: -1 });
    expect(alignRuns(a, a).rootInputsDiffer).toBe(false);
  });

  it("pairs reordered steps and keeps steps only in A", () => {
    const cmp = alignRuns([step("s"), step("s/x"), step("s/y"), step("s/gone")], [step("s"), step("s/y"), step("s/x")]);
    expect(cmp.rows.map((r) => [r.key, r.a?.index ?? null, r.b?.index ?? null])).toEqual([
      ["s", 0, 0],
      ["s/x", 1, 2],
      ["s/y", 2, 1],
      ["s/gone", 3, null],
    ]);
    expect(cmp.firstDivergence).toBe(3);
  });

  it("compares states whatever their key order, and builds the page address", () => {
    // States are recorded in the agent's key order: the same input built in another order has another hash.
    const hashed = (key: string, hash: string, input: unknown, output: unknown): Step => step(key, { input, output, attributes: { [Tracewright.INPUT_HASH]: hash } });
    const same = alignRuns([hashed("s", "h1", { b: [{ d: 1, c: 2 }], a: null }, { y: 1, x: 2 })], [hashed("s", "h2", { a: null, b: [{ c: 2, d: 1 }] }, { x: 2, y: 1 })]);
    expect(same.rows[0]?.diff).toMatchObject({ input: false, output: false });
    expect(same.firstDivergence).toBe(-1);
    const changed = alignRuns([hashed("s", "h1", { a: 1 }, { x: 1 })], [hashed("s", "h2", { a: 2 }, { x: [1] })]);
    expect(changed.rows[0]?.diff).toMatchObject({ input: true, output: true });
    // Equal hashes are the same input, whatever else the steps hold.
    expect(alignRuns([hashed("s", "h1", { a: 1 }, {})], [hashed("s", "h1", { a: 1 }, {})]).rows[0]?.diff.input).toBe(false);
    expect(compareHref("a b", "c/d")).toBe("/compare?a=a%20b&b=c%2Fd");
  });
});
