import { randomUUID } from "node:crypto";
import { node, runWithResult, tool } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { loadRecording } from "./recording.js";
import { recordRun, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// A run with `deterministic: true`: Date.now, Math.random and crypto.randomUUID anywhere inside
// it are recorded steps, and replay serves them. Only the agent's own reads are steps — the SDK
// reads the clock (and may read Math.random for ids) at every span start, and those are not.

const store = storePerTest();

/** What the agent saw of the clock, randomness and ids, run by run. */
const seen: unknown[][] = [];

const agent: ReplayableAgent = {
  name: "dice",
  run: (input, options) =>
    runWithResult(
      "dice",
      input,
      async () => {
        const roll = await node("roll", {}, () => ({ at: Date.now(), value: Math.floor(Math.random() * 6) + 1, id: globalThis.crypto.randomUUID() }));
        const verdict = await tool("judge", roll, (r) => (r.value >= 4 ? "win" : "lose"));
        seen.push([roll.at, roll.value, roll.id, verdict, Date.now()]);
        return verdict;
      },
      { ...options, deterministic: true },
    ),
};

describe("a deterministic run", () => {
  it("records the agent's own clock, random and uuid reads, and no read of the instrumentation's", async () => {
    const { runId } = await recordRun(store(), agent);
    const recording = await loadRecording(store(), runId);
    const keys = [...recording.steps.values()].map((s) => s.key).sort();
    expect(keys).toEqual(["dice", "dice/clock:now#0", "dice/node:roll#0", "dice/node:roll#0/clock:now#0", "dice/node:roll#0/random:random#0", "dice/node:roll#0/uuid:uuid#0", "dice/tool:judge#0"]);
  });

  it("reproduces exactly, serving the agent what it read of the clock, randomness and ids", async () => {
    seen.length = 0;
    const { runId } = await recordRun(store(), agent);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [agent] });
    expect(report.outcome).toBe("reproduced");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
  });

  it("routes new Date(), Date() and node:crypto's randomUUID too, and leaves Date whole", async () => {
    const read: unknown[][] = [];
    const clocked: ReplayableAgent = {
      name: "stamp",
      run: (input, options) =>
        runWithResult(
          "stamp",
          input,
          async () => {
            // The time in a prompt, an idempotency key from node:crypto, a timestamp as text.
            const stamp = await node("stamp", {}, () => ({ now: `Current time: ${new Date().toISOString()}`, key: randomUUID(), said: Date() }));
            read.push([stamp.now, stamp.key, stamp.said]);
            return tool("send", stamp, (s) => s.key.length);
          },
          { ...options, deterministic: true },
        ),
    };
    const { runId } = await recordRun(store(), clocked);
    const keys = (await loadRecording(store(), runId)).steps.map((s) => s.key);
    expect(keys).toEqual(expect.arrayContaining(["stamp/node:stamp#0/clock:now#0", "stamp/node:stamp#0/uuid:uuid#0", "stamp/node:stamp#0/clock:now#1"]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [clocked] });
    expect(report.outcome, report.summary).toBe("reproduced");
    expect(read[1]).toEqual(read[0]);
    // Date is still Date: with arguments, statics, instanceof, subclasses, outside a run.
    expect(new Date(0).toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(Date.UTC(2026, 0, 2)).toBe(1767312000000);
    expect(new Date(5) instanceof Date).toBe(true);
    expect(Object.prototype.toString.call(new Date())).toBe("[object Date]");
    class Stamp extends Date {}
    expect(new Stamp(7)).toBeInstanceOf(Stamp);
    expect(new Stamp(7).getTime()).toBe(7);
    expect(Math.abs(new Date().getTime() - Date.now())).toBeLessThan(1000);
    expect(typeof Date()).toBe("string");
    expect(new Date().constructor).toBe(Date);
    expect(Object.hasOwn(Date, "parse") && Object.hasOwn(Date, "UTC")).toBe(true);
    expect(Date.parse("2026-01-02T00:00:00Z")).toBe(1767312000000);
  });
});
