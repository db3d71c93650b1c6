import { startCollector } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import type { RunSummary, SqliteStore } from "@tracewright/store";
import { describe, expect, it } from "vitest";
import { init } from "./init.js";
import { currentRunId, node, runWithResult } from "./steps.js";

// A long run is visible while it runs: each step is exported as it ends, so the store lists the
// run as running, with its steps so far, before its root span has ended.

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
