import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { runWithResult, tool } from "@tracewright/instrument";
import type { RunOptions } from "@tracewright/instrument";
import { openSqliteStore } from "@tracewright/store";
import type { TraceStore } from "@tracewright/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { loadRecording } from "./recording.js";
import { CollectingProcessor } from "./spans.js";
import type { ReplayableAgent } from "./types.js";

// Concurrent chains of calls: a step's key (`tool:summarize#n`) is given when the call starts,
// and under concurrency a later call starts when an earlier one ends — so the keys depend on
// the order in which the recorded calls ended. A replay must hand results back in that order.

let store: TraceStore;
beforeEach(() => {
  store = openSqliteStore({ path: ":memory:" });
});
afterEach(async () => {
  await store.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** For each document, fetch it then summarize it, all documents at once; the fetches take 30, 10 and 20 ms. */
const chains: ReplayableAgent = {
  name: "chains",
  run: (input: unknown, options: RunOptions) =>
    runWithResult(
      "chains",
      input,
      () =>
        Promise.all(
          [30, 10, 20].map(async (ms, i) => {
            const doc = await tool("fetch", { i }, async (args) => (await sleep(ms), `doc-${args.i}`));
            return tool("summarize", { doc }, (args) => `summary of ${args.doc}`);
          }),
        ),
      options,
    ),
};

/** A pool of two workers over five items (what p-limit does): results are pushed in the order the calls end. */
const pool: ReplayableAgent = {
  name: "pool",
  run: (input: unknown, options: RunOptions) =>
    runWithResult(
      "pool",
      input,
      async () => {
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
      },
      options,
    ),
};

async function record(agent: ReplayableAgent): Promise<string> {
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [collected] });
  const result = await agent.run({}, { tracer: provider.getTracer("test") }, { fixes: [] });
  await store.ingest(collected.spans);
  return result.runId;
}

async function inputsByKey(runId: string): Promise<[string, string | undefined][]> {
  return (await loadRecording(store, runId)).steps.map((s) => [s.key, s.inputJson]);
}

describe("concurrent calls whose keys depend on which call ended first", () => {
  for (const agent of [chains, pool]) {
    it(`${agent.name}: reproduce hands results back in the recorded end order, so each key gets its recorded input`, async () => {
      const runId = await record(agent);
      for (const mode of ["reproduce", "verify-fix"] as const) {
        const report = await replay({ store, runId, mode, agents: [agent] });
        expect(report.divergences).toEqual([]);
        expect(report.stats).toMatchObject({ live: 0, unused: 0, traceIdentical: true });
        expect(await inputsByKey(report.replayRunId)).toEqual(await inputsByKey(runId));
      }
    });
  }
});
