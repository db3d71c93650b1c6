import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite.js";
import { describeStoreContract } from "./store.contract.js";
import { makeSpan } from "./testing.js";

describeStoreContract("SQLite in memory", () => openSqliteStore({ path: ":memory:" }));
describeStoreContract("SQLite on disk", () => openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), "tw-store-")), "nested", "traces.db") }));

describe("SqliteStore", () => {
  it("persists across reopen and records its schema version", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    await store.ingest([makeSpan({ run: "r", key: "supervisor" })]);
    await store.close();
    const again = openSqliteStore({ path });
    expect((await again.getRun("r"))?.steps).toBe(1);
    await again.close();
    const raw = new Database(path);
    expect(raw.pragma("user_version", { simple: true })).toBe(1);
    raw.pragma("user_version = 99");
    raw.close();
    expect(() => openSqliteStore({ path })).toThrow(/schema version 99, newer than this Tracewright knows/);
  });

  it("names the path when it cannot open the store", () => {
    const file = join(mkdtempSync(join(tmpdir(), "tw-store-")), "a-file");
    writeFileSync(file, "not a folder");
    expect(() => openSqliteStore({ path: join(file, "traces.db") })).toThrow(`Cannot open the trace store at ${join(file, "traces.db")}`);
  });

  it("lists the newest page of a 100,000-run store and reads a 20,000-step run", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const batch = [];
    for (let i = 0; i < 100_000; i++) {
      batch.push(makeSpan({ run: `run-${i}`, key: "supervisor", startMs: i, ...(i % 10 === 0 ? { error: "x" } : {}) }));
      if (batch.length === 5000) await store.ingest(batch.splice(0));
    }
    const page = await store.listRuns({ limit: 50, status: "error" });
    expect(page.runs).toHaveLength(50);
    expect(page.runs[0]?.runId).toBe("run-99990");
    const steps = [makeSpan({ run: "big", key: "supervisor", startMs: 0, endMs: 30_000 })];
    for (let i = 0; i < 20_000; i++) steps.push(makeSpan({ run: "big", key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor", startMs: i, endMs: i + 1 }));
    await store.ingest(steps);
    expect((await store.getRun("big"))?.steps).toBe(20_001);
    expect(await store.getRunSpans("big")).toHaveLength(20_001);
    await store.close();
  });
});
