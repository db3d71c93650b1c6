import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionStoreError } from "../errors.js";
import type { SessionStore } from "../state/store.js";

/** What a backend's test gives the contract: a fresh store, and another over the same data. */
export interface SessionStoreFixture {
  store: SessionStore;
  /** A second store over the same backing data, as the next invocation (another process) opens it. */
  reopen(): SessionStore;
  /** Removes what the fixture made (a directory, a server). */
  dispose?(): Promise<void>;
}

/**
 * The one contract every session store passes (STYLE.md §3): each backend's test calls this
 * with a tiny initializer.
 */
export function describeSessionStoreContract(name: string, open: () => Promise<SessionStoreFixture>): void {
  describe(`session store contract: ${name}`, () => {
    let fixture: SessionStoreFixture;
    const opened: SessionStore[] = [];
    beforeEach(async () => {
      fixture = await open();
      opened.push(fixture.store);
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await fixture.dispose?.();
    });
    const reopen = (): SessionStore => {
      const store = fixture.reopen();
      opened.push(store);
      return store;
    };

    it("loads null for a key never saved", async () => {
      expect(await fixture.store.load("never-saved")).toBeNull();
    });

    it("loads what was saved, whole, from a store opened afresh over the same data", async () => {
      const state = { status: "awaiting_approval", invocations: 1, plan: { steps: ["research", "analysis"], dataset: "lambda-costs" }, cost: 356.21, note: "naïve – “quoted” ✓", empty: [], nothing: null };
      expect(await fixture.store.save("session-1", state)).toBe(Buffer.byteLength(JSON.stringify(state)));
      expect(await fixture.store.load("session-1")).toEqual(state);
      expect(await reopen().load("session-1")).toEqual(state);
    });

    it("replaces the state on a second save, and keeps keys apart", async () => {
      await fixture.store.save("s", { n: 1 });
      await fixture.store.save("s/child", { n: 2 });
      await fixture.store.save("s", { n: 3 });
      expect(await reopen().load("s")).toEqual({ n: 3 });
      expect(await fixture.store.load("s/child")).toEqual({ n: 2 });
      expect(await fixture.store.load("s/chil")).toBeNull();
    });

    it("holds keys with spaces, dots, slashes and non-ASCII, and any JSON value", async () => {
      const keys = ["with space", "../escape", "a.b.c", "ключ/😀", "x".repeat(256)];
      for (const [i, key] of keys.entries()) await fixture.store.save(key, i === 0 ? "a string" : i === 1 ? [1, 2] : { i });
      const again = reopen();
      for (const [i, key] of keys.entries()) expect(await again.load(key), key).toEqual(i === 0 ? "a string" : i === 1 ? [1, 2] : { i });
    });

    it("holds a 200 KB state", async () => {
      const state = { findings: Array.from({ length: 2000 }, (_, i) => ({ source: `doc://${i}`, summary: "s".repeat(90) })) };
      await fixture.store.save("big", state);
      expect(await reopen().load("big")).toEqual(state);
    });

    it("refuses a bad key or a state JSON cannot hold, saying which, and keeps what it had", async () => {
      await fixture.store.save("kept", { ok: true });
      for (const key of ["", "x".repeat(257), "line\nbreak"]) {
        await expect(fixture.store.load(key)).rejects.toThrow(SessionStoreError);
        await expect(fixture.store.save(key, {})).rejects.toThrow(/a session key must be a string of 1-256 characters/);
      }
      await expect(fixture.store.save("kept", { n: 1n })).rejects.toThrow(/the state for session "kept" is not JSON-serializable/);
      await expect(fixture.store.save("kept", undefined)).rejects.toMatchObject({ code: "SESSION_STATE_INVALID" });
      expect(await fixture.store.load("kept")).toEqual({ ok: true });
    });
  });
}
