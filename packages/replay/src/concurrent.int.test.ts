import { tool } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { loadRecording } from "./recording.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// Concurrent chains of calls: a step's key (`tool:summarize#n`) is given when the call starts,
// and under concurrency a later call starts when an earlier one ends — so the keys depend on
// the order in which the recorded calls ended. A replay must hand results back in that order.

const store = storePerTest();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** For each document, fetch it then summarize it, all documents at once; the fetches take 30, 10 and 20 ms. */
const chains: ReplayableAgent = replayable("chains", () =>
  Promise.all(
    [30, 10, 20].map(async (ms, i) => {
      const doc = await tool("fetch", { i }, async (args) => (await sleep(ms), `doc-${args.i}`));
      return tool("summarize", { doc }, (args) => `summary of ${args.doc}`);
    }),
  ),
);

/** A pool of two workers over five items (what p-limit does): results are pushed in the order the calls end. */
const pool: ReplayableAgent = replayable("pool", async () => {
  const items = [80, 10, 25, 10, 20];
  const out: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out.push(await tool("work", { i }, async (args) => (await sleep(items[args.i] ?? 0), `item-${args.i}`)));
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
});

const record = async (agent: ReplayableAgent): Promise<string> => (await recordRun(store(), agent)).runId;

async function inputsByKey(runId: string): Promise<[string, string | undefined][]> {
  return (await loadRecording(store(), runId)).steps.map((s) => [s.key, s.inputJson]);
}

describe("concurrent calls whose keys depend on which call ended first", () => {
  for (const agent of [chains, pool]) {
    it(`${agent.name}: reproduce hands results back in the recorded end order, so each key gets its recorded input`, async () => {
      const runId = await record(agent);
      for (const mode of ["reproduce", "verify-fix"] as const) {
        const report = await replay({ store: store(), runId, mode, agents: [agent] });
        expect(report.divergences).toEqual([]);
        expect(report.stats).toMatchObject({ live: 0, unused: 0, traceIdentical: true });
        expect(await inputsByKey(report.replayRunId)).toEqual(await inputsByKey(runId));
      }
    });
  }
});

describe("calls still in flight when the run's root ends", () => {
  /** Fail fast: one of two concurrent calls fails at 5 ms and fails the run; the other ends at 30 ms, after the root. */
  const failFast: ReplayableAgent = replayable("fail-fast", () =>
    Promise.all([
      tool("a", {}, async () => {
        await sleep(5);
        throw new Error("a failed");
      }),
      tool("b", {}, async () => (await sleep(30), "b done")),
      // Not awaited at all: it ends after the root, too.
      void tool("c", {}, async () => (await sleep(15), "c done")),
    ]),
  );

  it("reproduce waits for them, so the failed run reproduces with the steps that ended after its root", async () => {
    const { runId } = await recordRun(store(), failFast, { tailMs: 80 });
    const recorded = await loadRecording(store(), runId);
    expect(recorded.steps.map((s) => s.key).sort()).toEqual(["fail-fast", "fail-fast/tool:a#0", "fail-fast/tool:b#0", "fail-fast/tool:c#0"]);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [failFast] });
    expect(report.outcome).toBe("reproduced");
    expect(report.divergences).toEqual([]);
    expect(report.stats).toMatchObject({ recordedSteps: 4, replayedSteps: 4, traceIdentical: true });
    expect(report.error).toBe("Error: a failed");
  });
});

// A branch that waits on a timer of its own (a retry's backoff, honouring a 429's Retry-After)
// between two calls is not held back by served results: on replay it reaches its next call
// sooner or later than recorded, and takes another key than its recorded call had.
describe("concurrent branches that wait on timers between their calls", () => {
  /** Two cities at once; each first call answers 429 (Paris at 5 ms, asking 60 ms; Rome at 40, asking 40), the retry answers. */
  const weather: ReplayableAgent = replayable("weather", async () => {
    const attempts: Record<string, number> = {};
    const api: Record<string, { latency: number; retryAfterMs: number }> = { Paris: { latency: 5, retryAfterMs: 60 }, Rome: { latency: 40, retryAfterMs: 40 } };
    const get = async (args: { city: string }): Promise<{ city: string; tempC: number }> => {
      const city = api[args.city] as { latency: number; retryAfterMs: number };
      attempts[args.city] = (attempts[args.city] ?? 0) + 1;
      await sleep(city.latency);
      if (attempts[args.city] === 1) throw Object.assign(new Error("429 Too Many Requests"), { status: 429, retryAfterMs: city.retryAfterMs });
      return { city: args.city, tempC: args.city === "Paris" ? 18 : 25 };
    };
    const results = await Promise.all(
      ["Paris", "Rome"].map(async (city) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await tool("get_weather", { city }, get);
          } catch (error) {
            if ((error as { status?: number }).status !== 429 || attempt > 3) throw error;
            await sleep((error as { retryAfterMs: number }).retryAfterMs);
          }
        }
      }),
    );
    return tool("report", { results }, (args) => args.results.map((r) => `${r.city} ${r.tempC}`).join(", "));
  });

  for (const mode of ["reproduce", "verify-fix"] as const) {
    it(`${mode}: each call is served the recorded call of its own input, under the recorded key`, async () => {
      const runId = await record(weather);
      const recorded = await inputsByKey(runId);
      expect(recorded.filter(([key]) => key.includes("get_weather")).map(([key, input]) => `${key} ${input}`)).toEqual([
        'weather/tool:get_weather#0 {"city":"Paris"}',
        'weather/tool:get_weather#1 {"city":"Rome"}',
        'weather/tool:get_weather#2 {"city":"Paris"}',
        'weather/tool:get_weather#3 {"city":"Rome"}',
      ]);
      const report = await replay({ store: store(), runId, mode, agents: [weather] });
      expect(report.outcome, report.summary).toBe(mode === "reproduce" ? "reproduced" : "completed");
      expect(report.first).toBeUndefined();
      expect(report.stats.live).toBe(0);
      expect(await inputsByKey(report.replayRunId)).toEqual(recorded);
    });
  }

  it("a branch's first attempt is served the recorded first attempt of its input, not its retry, though it took the retry's key", async () => {
    // Branch q starts 30 ms late and fails fast; branch p fails slowly: p's retry takes q's first attempt's key.
    const staggered: ReplayableAgent = replayable("staggered", async () => {
      const tries: Record<string, number> = {};
      const config: Record<string, { start: number; latency: number }> = { p: { start: 0, latency: 50 }, q: { start: 30, latency: 10 } };
      const call = async (args: { id: string }): Promise<{ id: string; n: number }> => {
        const n = (tries[args.id] = (tries[args.id] ?? 0) + 1);
        await sleep(config[args.id]?.latency ?? 0);
        if (n === 1) throw Object.assign(new Error("503"), { status: 503 });
        return { id: args.id, n };
      };
      const results = await Promise.all(
        Object.keys(config).map(async (id) => {
          await sleep(config[id]?.start ?? 0);
          for (let attempt = 1; ; attempt++) {
            try {
              return { ...(await tool("x", { id }, call)), attempts: attempt };
            } catch (error) {
              if (attempt > 3) throw error;
              await sleep(5);
            }
          }
        }),
      );
      return tool("report", { results }, (args) => args.results.map((r) => `${r.id}:${r.attempts}`).join(","));
    });
    const runId = await record(staggered);
    for (const mode of ["reproduce", "verify-fix"] as const) {
      const report = await replay({ store: store(), runId, mode, agents: [staggered] });
      expect(report.outcome, report.summary).toBe(mode === "reproduce" ? "reproduced" : "completed");
      expect(report.first).toBeUndefined();
    }
  });

  it("calls the recording made one after another keep their keys: a changed order is a divergence", async () => {
    const inOrder = (ids: string[]): ReplayableAgent =>
      replayable("sequential", async () => {
        for (const id of ids) await tool("fetch_doc", { id }, (args) => ({ text: `doc ${args.id}` }));
        return ids.length;
      });
    const runId = await record(inOrder(["a", "b", "c"]));
    const report = await replay({ store: store(), runId, mode: "verify-fix", agents: [inOrder(["c", "b", "a"])] });
    expect(report.first).toMatchObject({ type: "input_changed", key: "sequential/tool:fetch_doc#0" });
  });

  it("never serves a recorded call twice: a call whose recorded one another call stood for is compared with one not taken", async () => {
    // Recorded: fetch B (#0) and fetch A (#1), overlapping. The changed agent fetches A twice.
    const fetching = (inputs: string[], delays: number[]): ReplayableAgent =>
      replayable("twice", () =>
        Promise.all(inputs.map(async (u, i) => {
          await sleep(delays[i] ?? 0);
          return tool("fetch", { u }, async (args) => (await sleep(20), `answer-${args.u}`));
        })),
      );
    const runId = await record(fetching(["B", "A"], [0, 5]));
    const report = await replay({ store: store(), runId, mode: "verify-fix", agents: [fetching(["A", "A"], [5, 0])] });
    expect(report.first).toMatchObject({ type: "input_changed", key: "twice/tool:fetch#0", inputDiff: [{ op: "replace", path: "/u", value: "A" }] });
    expect(report.stats.hits).toBe(1);
  });
});
