import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite.js";
import { downgradeToSchema1 } from "./schema.fixtures.js";
import { makeSpan } from "./testing.js";

/**
 * Another process holds the write lock of `path` for `ms` (as one migrating a large old file
 * does: migration 2 backfills every span, about 23 s at 300,000 spans), then commits. Resolves
 * once the lock is taken, with a promise of the process's exit.
 */
function holdWriteLock(path: string, ms: number): Promise<{ exited: Promise<number | null> }> {
  const code = `const Database = require("better-sqlite3"); const db = new Database(${JSON.stringify(path)}); db.exec("BEGIN IMMEDIATE");
    process.stdout.write("locked\\n"); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms}); db.exec("COMMIT"); db.close();`;
  const child = spawn(process.execPath, ["-e", code], { cwd: import.meta.dirname, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) resolve({ exited });
    });
    child.on("exit", (status) => reject(new Error(`the lock holder exited (${status}) before taking the lock`)));
  });
}

/** A store file taken back to schema 1, as a Tracewright of that version left it. */
async function oldStore(dir: string): Promise<string> {
  const path = join(dir, "traces.db");
  const store = openSqliteStore({ path });
  await store.ingest([makeSpan({ run: "old", key: "supervisor", startMs: 0, endMs: 100, input: { question: "Where is Tromsø?" } })]);
  await store.close();
  downgradeToSchema1(path);
  return path;
}

describe("opening an old store while another process holds its write lock", () => {
  it("waits for the other process (migrating the file) past the 5 s busy timeout, then opens it migrated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-migrate-"));
    try {
      const path = await oldStore(dir);
      // Held 8 s: well past the 5 s busy timeout the open used to fail at ('database is locked').
      const { exited } = await holdWriteLock(path, 8000);
      const store = openSqliteStore({ path });
      expect((await store.listRuns({ text: "tromsø" })).runs.map((r) => r.runId)).toEqual(["old"]);
      await store.close();
      expect(await exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it("refuses a store newer than the code with STORE_SCHEMA_TOO_NEW, as documented", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-migrate-"));
    try {
      const path = join(dir, "traces.db");
      const raw = new Database(path);
      raw.pragma("user_version = 99");
      raw.close();
      expect(() => openSqliteStore({ path })).toThrow(expect.objectContaining({ code: "STORE_SCHEMA_TOO_NEW", message: expect.stringContaining("schema version 99") as unknown as string }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
