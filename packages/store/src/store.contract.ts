import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRunDetail } from "./steps.js";
import { makeSpan } from "./testing.js";
import type { TraceStore } from "./types.js";

/**
 * The contract every TraceStore passes (STYLE.md §3): each backend supplies an initializer.
 */
export function describeStoreContract(name: string, open: () => Promise<TraceStore> | TraceStore): void {
  describe(`TraceStore contract: ${name}`, () => {
    let store: TraceStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const failedRun = () => [
      makeSpan({ run: "r1", key: "supervisor", startMs: 0, endMs: 100, error: "tool failed", input: { goal: "g" } }),
      makeSpan({ run: "r1", key: "supervisor/node:research#0", parent: "supervisor", startMs: 10, endMs: 90, error: "tool failed" }),
      makeSpan({ run: "r1", key: "supervisor/node:research#0/tool:fetch#0", kind: "tool", parent: "supervisor/node:research#0", startMs: 20, endMs: 80, error: "tool failed", input: { url: "doc://x" } }),
    ];

    it("stores spans idempotently by (traceId, spanId)", async () => {
      expect(await store.ingest(failedRun())).toEqual({ inserted: 3, duplicates: 0 });
      expect(await store.ingest(failedRun())).toEqual({ inserted: 0, duplicates: 3 });
      expect(await store.getRunSpans("r1")).toHaveLength(3);
      expect((await store.getRun("r1"))?.steps).toBe(3);
    });

    it("derives a run from its spans: agent, status, start, duration, steps, errors", async () => {
      await store.ingest(failedRun());
      expect(await store.getRun("r1")).toEqual({
        runId: "r1",
        traceId: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown as string,
        agent: "supervisor",
        status: "error",
        startTime: "2026-01-01T00:00:00.000Z",
        durationMs: 100,
        steps: 3,
        errors: 3,
      });
    });

    it("shows a run as running until its root arrives, whatever the arrival order", async () => {
      const [root, ...rest] = failedRun();
      await store.ingest(rest);
      expect((await store.getRun("r1"))?.status).toBe("running");
      await store.ingest([root!]);
      expect(await store.getRun("r1")).toMatchObject({ status: "error", agent: "supervisor", durationMs: 100, steps: 3 });
    });

    it("keys a trace without a run id by its trace id", async () => {
      const span = makeSpan({ run: "x", key: "foreign", startMs: 0 });
      delete (span.attributes as Record<string, unknown>)["tracewright.run.id"];
      await store.ingest([span]);
      expect((await store.getRun(span.traceId))?.status).toBe("ok");
    });

    it("lists runs newest first, filters by status and agent, and pages with a cursor", async () => {
      for (let i = 0; i < 7; i++) {
        await store.ingest([makeSpan({ run: `run-${i}`, key: i % 2 === 0 ? "supervisor" : "choreography", startMs: i * 1000, ...(i % 3 === 0 ? { error: "boom" } : {}) })]);
      }
      const all = await store.listRuns();
      expect(all.runs.map((r) => r.runId)).toEqual(["run-6", "run-5", "run-4", "run-3", "run-2", "run-1", "run-0"]);
      expect(all.nextCursor).toBeUndefined();
      expect((await store.listRuns({ status: "error" })).runs.map((r) => r.runId)).toEqual(["run-6", "run-3", "run-0"]);
      expect((await store.listRuns({ agent: "choreography" })).runs.map((r) => r.runId)).toEqual(["run-5", "run-3", "run-1"]);
      const first = await store.listRuns({ limit: 3 });
      expect(first.runs.map((r) => r.runId)).toEqual(["run-6", "run-5", "run-4"]);
      const second = await store.listRuns({ limit: 3, cursor: first.nextCursor! });
      expect(second.runs.map((r) => r.runId)).toEqual(["run-3", "run-2", "run-1"]);
      const third = await store.listRuns({ limit: 3, cursor: second.nextCursor! });
      expect(third.runs.map((r) => r.runId)).toEqual(["run-0"]);
      expect(third.nextCursor).toBeUndefined();
      await expect(store.listRuns({ cursor: "not-a-cursor" })).rejects.toThrow(/Invalid run list cursor/);
    });

    it("keeps content-addressed payloads", async () => {
      await store.putPayload("ab".repeat(32), '{"big":true}');
      await store.putPayload("ab".repeat(32), '{"big":true}');
      expect(await store.getPayload("ab".repeat(32))).toBe('{"big":true}');
      expect(await store.getPayload("cd".repeat(32))).toBeUndefined();
    });

    it("rebuilds the run's steps in canonical order with states and errors", async () => {
      await store.ingest(failedRun().reverse());
      const detail = await loadRunDetail(store, "r1");
      expect(detail?.steps.map((s) => [s.key, s.kind, s.parentKey, s.status, s.depth])).toEqual([
        ["supervisor", "agent", null, "error", 0],
        ["supervisor/node:research#0", "node", "supervisor", "error", 1],
        ["supervisor/node:research#0/tool:fetch#0", "tool", "supervisor/node:research#0", "error", 2],
      ]);
      const tool = detail?.steps[2];
      expect(tool?.input).toEqual({ url: "doc://x" });
      expect(tool?.error).toMatchObject({ type: "Error", message: "tool failed" });
      expect(tool?.error?.stack).toContain("agent.ts");
      expect(await loadRunDetail(store, "nope")).toBeUndefined();
    });

    it("is healthy when writable", async () => {
      expect(await store.healthy()).toBe(true);
    });
  });
}
