import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite.js";
import { makeSpan } from "./testing.js";

describe("the SQLite store under another connection's write lock", () => {
  it("fails a write (spans, a payload) with STORE_BUSY, writing nothing, and takes it once the lock is released", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracewright-busy-"));
    const path = join(dir, "traces.db");
    const store = openSqliteStore({ path });
    const other = new Database(path);
    try {
      other.exec("BEGIN EXCLUSIVE");
      const span = makeSpan({ run: "busy", key: "busy" });
      const error = await store.ingest([span]).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "STORE_BUSY", cause: { code: "SQLITE_BUSY" } });
      expect((error as Error).message).toBe(`Writing 1 spans to ${path} failed: the database is locked by another connection for longer than the 5000 ms busy timeout. Nothing was written; retry once the lock is released.`);
      const payload = await store.putPayload("ab".repeat(32), '{"big":true}').catch((e: unknown) => e);
      expect(payload).toMatchObject({ code: "STORE_BUSY", message: expect.stringMatching(new RegExp(`^Writing payload ${"ab".repeat(32)} to .* failed: the database is locked`)) as unknown as string });
      other.exec("ROLLBACK");
      expect(await store.getRunSpans("busy")).toEqual([]);
      expect(await store.getPayload("ab".repeat(32))).toBeUndefined();
      expect(await store.ingest([span])).toEqual({ inserted: 1, duplicates: 0 });
      await store.putPayload("ab".repeat(32), '{"big":true}');
      expect(await store.getPayload("ab".repeat(32))).toBe('{"big":true}');
    } finally {
      other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
