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
});
