import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { init, run, runWithResult } from "@tracewright/instrument";
import type { Tracing } from "@tracewright/instrument";
import { isRunStart, Tracewright } from "@tracewright/instrument/conventions";
import { openSqliteStore } from "@tracewright/store";
import type { SqliteStore } from "@tracewright/store";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { toSpanRecord } from "./spans.js";
import type { ReplayableAgent } from "./types.js";

/**
 * docs/getting-started.md, run as written: its `graph.ts` is taken from the page, written to a
 * folder of its own and imported; its runs are recorded, replayed, and checked against the fix the
 * page shows. A change to the code that the page no longer matches fails here.
 */
const here = dirname(fileURLToPath(import.meta.url));
const page = readFileSync(join(here, "../../../docs/getting-started.md"), "utf8");
const blocks = [...page.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string);

/** The page's one code block containing `marker`. */
function block(marker: string): string {
  const found = blocks.filter((code) => code.includes(marker));
  if (found.length !== 1) throw new Error(`docs/getting-started.md: expected one code block with ${JSON.stringify(marker)}, found ${found.length}`);
  return found[0] as string;
}

const GRAPH = block("export const graph = new StateGraph(State)");
const FIX = block("if (forecasts[city] === undefined)");
const UNFIXED = "    return { city: (JSON.parse(reply.text) as { city: string }).city };\n";

interface WeatherGraph {
  invoke(input: { question: string }): Promise<{ answer?: string }>;
}

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let store: SqliteStore;
let folder: string;
let graph: WeatherGraph;
let fixedGraph: WeatherGraph;

beforeAll(async () => {
  // Inside the repository, so that the page's imports resolve as they do in a user's project.
  folder = mkdtempSync(join(here, "../.getting-started-"));
  expect(GRAPH).toContain(UNFIXED);
  writeFileSync(join(folder, "graph.ts"), GRAPH);
  writeFileSync(join(folder, "graph-fixed.ts"), GRAPH.replace(UNFIXED, FIX));
  graph = ((await import(pathToFileURL(join(folder, "graph.ts")).href)) as { graph: WeatherGraph }).graph;
  fixedGraph = ((await import(pathToFileURL(join(folder, "graph-fixed.ts")).href)) as { graph: WeatherGraph }).graph;
  tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false });
  store = openSqliteStore({ path: ":memory:" });
});

afterAll(async () => {
  await tracing?.shutdown();
  await store?.close();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

beforeEach(() => exporter.reset());

/** The recorded steps' keys (the run-start span is not a step). */
const keys = () => exporter.getFinishedSpans().filter((s) => !isRunStart(s)).map((s) => String(s.attributes[Tracewright.STEP_KEY])).sort();

/** The page's `replay.ts` entry point, on a given graph. */
const weatherAgent = (g: WeatherGraph): ReplayableAgent => ({
  name: "weather-agent",
  run: (input, runOptions) => runWithResult("weather-agent", input as { question: string }, (ctx) => g.invoke(ctx.state), runOptions),
});

describe("docs/getting-started.md, as written", () => {
  it("step 4: the graph answers, and its run has the steps the page shows", async () => {
    const question = "What is the weather in Paris?";
    const result = await run("weather-agent", { question }, () => graph.invoke({ question }));
    expect(result.answer).toBe("It will be sunny, 21 °C.");
    expect(keys()).toEqual([
      "weather-agent",
      "weather-agent/node:agent#0",
      "weather-agent/node:agent#0/llm:fake-model#0",
      "weather-agent/node:agent#1",
      "weather-agent/node:agent#1/llm:fake-model#0",
      "weather-agent/node:tools#0",
      "weather-agent/node:tools#0/tool:get_weather#0",
    ]);
  });

  it("step 4: the Atlantis question fails at the tool, and the error reaches the caller unchanged", async () => {
    const question = "What is the weather in Atlantis?";
    await expect(run("weather-agent", { question }, () => graph.invoke({ question }))).rejects.toThrow("no forecast for Atlantis");
    const failed = exporter.getFinishedSpans().filter((s) => s.status.code === 2).map((s) => String(s.attributes[Tracewright.STEP_KEY]));
    expect(failed.sort()).toEqual(["weather-agent", "weather-agent/node:tools#0", "weather-agent/node:tools#0/tool:get_weather#0"]);
  });

  it("step 5: the failed run reproduces, and the page's fix diverges where the page says", async () => {
    const question = "What is the weather in Atlantis?";
    const recorded = await runWithResult("weather-agent", { question }, () => graph.invoke({ question }));
    expect(recorded.status).toBe("error");
    await store.ingest(exporter.getFinishedSpans().map(toSpanRecord));

    const reproduced = await replay({ store, runId: recorded.runId, mode: "reproduce", agents: [weatherAgent(graph)] });
    expect(reproduced.outcome).toBe("reproduced");
    expect(reproduced.summary).toContain("the same 5 steps and the same error (Error: no forecast for Atlantis) (2 served, 0 live)");

    const verified = await replay({ store, runId: recorded.runId, mode: "verify-fix", agents: [weatherAgent(fixedGraph)] });
    expect(verified.outcome).toBe("completed");
    expect(verified.first).toMatchObject({ type: "state_mismatch", key: "weather-agent/node:agent#0" });
    expect(verified.divergences.map((d) => `${d.type} ${d.key}`)).toEqual(["state_mismatch weather-agent/node:agent#0", "error_mismatch weather-agent", "missing_call weather-agent/node:tools#0"]);
  });
});
