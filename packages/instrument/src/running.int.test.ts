import { startCollector } from "@tracewright/collector-lambda";
import { loadRunDetail, openSqliteStore } from "@tracewright/store";
import type { RunSummary, SqliteStore } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { init } from "./init.js";
import { isRunStart, OpenInference } from "./conventions.js";
import { currentRunId, node, runWithResult, tool } from "./steps.js";

// A long run is visible while it runs: its run-start span is exported as the root starts, and
// each step as it ends, so the store lists the run as running — with its agent and input before
// any step has ended, then with its steps so far — before its root span has ended.

/** Resolves with the run once `ok` holds for it, polling the store (a wait, not a timing assertion). */
async function until(store: SqliteStore, runId: string, ok: (run: RunSummary | undefined) => boolean): Promise<RunSummary | undefined> {
  for (let i = 0; i < 400; i++) {
    const run = await store.getRun(runId);
    if (ok(run)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  return store.getRun(runId);
}

describe("a long run, through a live collector", () => {
  it("is listed as running, with its agent and input, while its first step is still in progress", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    const tracing = init({ endpoint: collector.tracesUrl, register: false, exportQueue: { scheduledDelayMs: 20 } });
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    let runId = "";
    const input = { question: "weather in Reykjavík?" };
    const done = runWithResult("slow-agent", input, async () => {
      runId = currentRunId() ?? "";
      return tool("forecast", { city: "Reykjavík" }, async () => {
        await released;
        return "sleet";
      });
    });
    await new Promise((r) => setImmediate(r));
    const running = await until(store, runId, (r) => r !== undefined);
    expect(running).toMatchObject({ runId, status: "running", agent: "slow-agent", steps: 0, errors: 0 });
    expect(Date.parse(running?.startTime ?? "")).toBeGreaterThan(Date.now() - 60_000);
    // Its input is there (and found by text search); no step is, the run-start span not being one.
    const spans = await store.getRunSpans(runId);
    expect(spans).toHaveLength(1);
    expect(isRunStart(spans[0] as (typeof spans)[number])).toBe(true);
    expect(JSON.parse(String(spans[0]?.attributes[OpenInference.INPUT_VALUE]))).toEqual(input);
    expect((await store.listRuns({ text: "Reykjavík" })).runs.map((r) => r.runId)).toEqual([runId]);
    expect((await loadRunDetail(store, runId))?.steps).toEqual([]);
    release();
    expect((await done).status).toBe("ok");
    await tracing.flush();
    const ended = await until(store, runId, (r) => r?.status !== "running");
    expect(ended).toMatchObject({ status: "ok", agent: "slow-agent", steps: 2, startTime: running?.startTime });
    expect((await loadRunDetail(store, runId))?.steps.map((s) => s.key)).toEqual(["slow-agent", "slow-agent/tool:forecast#0"]);
    await tracing.shutdown();
    await collector.close();
    await store.close();
  });

  it("is listed as running with its steps so far, and updates as each step ends", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const collector = await startCollector({ store, port: 0 });
    const tracing = init({ endpoint: collector.tracesUrl, register: false, exportQueue: { scheduledDelayMs: 20 } });
    const gates = [0, 1].map(() => {
      let open: () => void = () => {};
      const opened = new Promise<void>((r) => (open = r));
      return { open, opened };
    });
    let runId = "";
    const done = runWithResult("long", {}, async () => {
      runId = currentRunId() ?? "";
      await node("first", {}, () => "a");
      await gates[0]?.opened;
      await node("second", {}, () => "b");
      await gates[1]?.opened;
      return "done";
    });
    await new Promise((r) => setImmediate(r));
    expect(await until(store, runId, (r) => r?.steps === 1)).toMatchObject({ status: "running", agent: "long", steps: 1 });
    gates[0]?.open();
    expect(await until(store, runId, (r) => r?.steps === 2)).toMatchObject({ status: "running", steps: 2 });
    gates[1]?.open();
    expect((await done).status).toBe("ok");
    expect(await until(store, runId, (r) => r?.status !== "running")).toMatchObject({ status: "ok", steps: 3 });
    await tracing.shutdown();
    await collector.close();
    await store.close();
  });
});
