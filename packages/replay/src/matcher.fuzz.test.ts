import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { llm, node, runWithResult, tool } from "@tracewright/instrument";
import { openSqliteStore } from "@tracewright/store";
import type { TraceStore } from "@tracewright/store";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { CollectingProcessor } from "./spans.js";
import type { DivergenceKind, ReplayReport, ReplayableAgent } from "./types.js";

// Property-based tests of the replay matcher (the cassette): a random agent — a node making a
// random sequence of tool and model calls with random inputs — is recorded through the real
// instrumentation into a real store; then a recorded sequence replayed unchanged always hits
// every call, and any single mutation of it (an input changed, a call inserted, removed or moved)
// is reported with the divergence kind the cassette's classification names, at the right first
// step key. Calls have distinct kind:name pairs, so that each recorded call has a key of its
// own (`fuzz/node:work#0/tool:t3#0`) and the expected first divergence follows from the rules:
// - input changed at i → input_changed at call i;
// - call i removed → missing_call at call i;
// - a call moved (i taken by a later call, i made later) → call_replaced, reordered, at call i;
// - a call of a recorded kind and name inserted anywhere after it → unexpected_call at its own key;
// - a call never recorded inserted before call i → call_replaced at call i (another call took
//   its place); appended after the last → unexpected_call at its own key.

interface Call {
  kind: "tool" | "llm";
  name: string;
  input: unknown;
}

/** Runs the calls in order inside one node; each boundary returns something derived from its input. */
function program(calls: readonly Call[]): ReplayableAgent {
  return {
    name: "fuzz",
    run: (input, runOptions) =>
      runWithResult(
        "fuzz",
        input,
        async () => {
          await node("work", { n: calls.length }, async () => {
            for (const call of calls) {
              if (call.kind === "tool") await tool(call.name, { input: call.input }, (args) => ({ echo: args }));
              else await llm({ model: call.name, messages: [{ role: "user", content: JSON.stringify(call.input) }] }, (req) => ({ text: `re: ${req.messages[0]?.content ?? ""}` }));
            }
            return { done: true };
          });
          return { ok: true };
        },
        runOptions,
      ),
  };
}

const keyOf = (call: Call): string => `fuzz/node:work#0/${call.kind}:${call.name}#0`;

/** 1–8 calls with distinct kind:name pairs (from a pool), each with a random JSON input. */
const calls = fc
  .uniqueArray(fc.tuple(fc.constantFrom<"tool" | "llm">("tool", "llm"), fc.integer({ min: 0, max: 11 })), { minLength: 1, maxLength: 8, selector: ([k, n]) => `${k}${n}` })
  .chain((pairs) => fc.tuple(...pairs.map(([kind, n]) => fc.jsonValue({ maxDepth: 2 }).map((input): Call => ({ kind, name: `${kind === "tool" ? "t" : "m"}${n}`, input })))));

let store: TraceStore;
beforeAll(() => {
  store = openSqliteStore({ path: ":memory:" });
});
afterAll(async () => {
  await store.close();
});

async function record(original: readonly Call[]): Promise<string> {
  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [collected] });
  const result = await program(original).run({ seed: 1 }, { tracer: provider.getTracer("fuzz") }, { fixes: [] });
  await store.ingest(collected.spans);
  return result.runId;
}

async function check(original: readonly Call[], mutated: readonly Call[], expected: { type: DivergenceKind; key: string; reordered?: boolean }): Promise<ReplayReport> {
  const runId = await record(original);
  const report = await replay({ store, runId, mode: "reproduce", agents: [program(mutated)], onDivergence: "stop" });
  expect(report.outcome).toBe("diverged");
  expect(report.first).toMatchObject(expected);
  expect(report.stats.live).toBe(0);
  expect(report.summary).toContain(expected.key);
  return report;
}

const RUNS = { numRuns: 40 };

describe("the replay matcher (properties)", () => {
  it("serves every call of a recorded sequence replayed unchanged, with no divergence", async () => {
    await fc.assert(
      fc.asyncProperty(calls, async (original) => {
        const runId = await record(original);
        const report = await replay({ store, runId, mode: "reproduce", agents: [program(original)], onDivergence: "stop" });
        expect(report.divergences).toEqual([]);
        expect(report.outcome).toBe("reproduced");
        expect(report.stats).toMatchObject({ hits: original.length, live: 0 });
      }),
      RUNS,
    );
  });

  it("reports a changed input as input_changed at that call, with a diff", async () => {
    await fc.assert(
      fc.asyncProperty(calls, fc.nat(), fc.jsonValue({ maxDepth: 1 }), async (original, at, extra) => {
        const i = at % original.length;
        const mutated = original.map((c, j) => (j === i ? { ...c, input: { was: c.input, extra } } : c));
        const report = await check(original, mutated, { type: "input_changed", key: keyOf(original[i] as Call) });
        expect(report.first?.inputDiff?.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it("reports a removed call as missing_call at that call", async () => {
    await fc.assert(
      fc.asyncProperty(calls, fc.nat(), async (original, at) => {
        const i = at % original.length;
        await check(original, original.filter((_, j) => j !== i), { type: "missing_call", key: keyOf(original[i] as Call) });
      }),
      RUNS,
    );
  });

  it("reports a moved call as call_replaced (reordered) at the first call out of place", async () => {
    await fc.assert(
      fc.asyncProperty(calls.filter((c) => c.length >= 2), fc.nat(), fc.nat(), async (original, a, b) => {
        const from = a % original.length;
        let to = b % original.length;
        if (to === from) to = (from + 1) % original.length;
        const mutated = [...original];
        const [moved] = mutated.splice(from, 1);
        mutated.splice(to, 0, moved as Call);
        // The first position where the sequences differ: the recorded call there is made later.
        const first = original.findIndex((c, j) => mutated[j] !== c);
        await check(original, mutated, { type: "call_replaced", key: keyOf(original[first] as Call), reordered: true });
      }),
      RUNS,
    );
  });

  it("reports a second call of a recorded kind and name as unexpected_call at its own key", async () => {
    await fc.assert(
      fc.asyncProperty(calls, fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 1 }), async (original, a, b, input) => {
        const j = a % original.length;
        const i = j + 1 + (b % (original.length - j));
        const twin = { ...(original[j] as Call), input };
        const mutated = [...original.slice(0, i), twin, ...original.slice(i)];
        await check(original, mutated, { type: "unexpected_call", key: keyOf(twin).replace(/#0$/, "#1") });
      }),
      RUNS,
    );
  });

  it("reports a never-recorded call as call_replaced at the call whose place it took, or unexpected_call when appended", async () => {
    await fc.assert(
      fc.asyncProperty(calls, fc.nat(), fc.constantFrom<"tool" | "llm">("tool", "llm"), async (original, at, kind) => {
        const i = at % (original.length + 1);
        const stranger: Call = { kind, name: kind === "tool" ? "t_new" : "m_new", input: { new: true } };
        const mutated = [...original.slice(0, i), stranger, ...original.slice(i)];
        const expected = i < original.length ? { type: "call_replaced" as const, key: keyOf(original[i] as Call) } : { type: "unexpected_call" as const, key: keyOf(stranger) };
        await check(original, mutated, expected);
      }),
      RUNS,
    );
  });
});
