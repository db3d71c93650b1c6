import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenInference, PayloadMarker, RunStart, Tracewright } from "@tracewright/instrument/conventions";
import { loadRunDetail } from "./steps.js";
import { hexId, makeRunStart, makeSpan, T0_MS } from "./testing.js";
import type { TraceQueries, TraceStore } from "./types.js";

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
        inputTokens: 0,
        outputTokens: 0,
      });
    });

    it("names a root by its whole key, a ':' in it included (billing:v2), and a child by its segment's name", async () => {
      await store.ingest([makeSpan({ run: "c1", key: "billing:v2" }), makeSpan({ run: "c1", key: "billing:v2/tool:ns:fetch#0", kind: "tool", parent: "billing:v2" })]);
      expect((await loadRunDetail(store, "c1"))?.steps.map((s) => [s.kind, s.name])).toEqual([
        ["agent", "billing:v2"],
        ["tool", "ns:fetch"],
      ]);
      expect((await store.getRun("c1"))?.agent).toBe("billing:v2");
    });

    it("gives each step its input hash: as its span carried it, else the sha256 of its input; a span of other instrumentation none", async () => {
      const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
      const foreign = makeSpan({ run: "h1", key: "x", parent: "supervisor", input: { q: "other" } });
      delete foreign.attributes[Tracewright.STEP_KEY];
      await store.ingest([
        makeSpan({ run: "h1", key: "supervisor", input: { goal: "g" } }),
        makeSpan({ run: "h1", key: "supervisor/tool:fetch#0", kind: "tool", parent: "supervisor", input: { url: "u" }, attributes: { [Tracewright.INPUT_HASH]: "carried" } }),
        foreign,
      ]);
      const steps = (await loadRunDetail(store, "h1"))?.steps ?? [];
      expect(steps.map((s) => [s.name, s.attributes[Tracewright.INPUT_HASH]])).toEqual([
        ["supervisor", sha256('{"goal":"g"}')],
        ["fetch", "carried"],
        ["x", undefined],
      ]);
      // Derived for the step, not written into the span the store keeps.
      const spans = await store.getRunSpans("h1");
      expect(spans.find((s) => s.attributes[Tracewright.STEP_KEY] === "supervisor")?.attributes[Tracewright.INPUT_HASH]).toBeUndefined();
    });

    it("sums a run's token counts over its steps, a redelivered span counted once, what is no count left out", async () => {
      const llm = (n: number, input: number, output?: number) =>
        makeSpan({ run: "t1", key: `supervisor/llm:chat#${n}`, kind: "llm", parent: "supervisor", startMs: 10 + n, attributes: { "gen_ai.usage.input_tokens": input, ...(output === undefined ? {} : { "gen_ai.usage.output_tokens": output }) } });
      const root = makeSpan({ run: "t1", key: "supervisor", startMs: 0, endMs: 100 });
      await store.ingest([llm(0, 1200, 80), llm(1, 300)]);
      // Counts that are none (text, negative, absurd) are not summed, in any store.
      const bogus = (n: number, value: unknown) => makeSpan({ run: "t1", key: `supervisor/llm:odd#${n}`, kind: "llm", parent: "supervisor", startMs: 20 + n, attributes: { "gen_ai.usage.input_tokens": value as number } });
      await store.ingest([root, llm(1, 300), llm(2, 45, 5), bogus(0, "42"), bogus(1, -5), bogus(2, 1e30)]);
      expect(await store.getRun("t1")).toMatchObject({ steps: 7, inputTokens: 1545, outputTokens: 85 });
      expect((await store.listRuns()).runs.find((r) => r.runId === "t1")).toMatchObject({ inputTokens: 1545, outputTokens: 85 });
    });

    it("shows a run as running until its root arrives, whatever the arrival order", async () => {
      const [root, ...rest] = failedRun();
      await store.ingest(rest);
      expect(await store.getRun("r1")).toMatchObject({ status: "running", agent: "supervisor" });
      await store.ingest([root!]);
      expect(await store.getRun("r1")).toMatchObject({ status: "error", agent: "supervisor", durationMs: 100, steps: 3 });
    });

    it("lists a run from its run-start span alone: agent, start, running, no steps", async () => {
      const [root] = failedRun();
      expect(await store.ingest([makeRunStart(root!)])).toEqual({ inserted: 1, duplicates: 0 });
      expect(await store.getRun("r1")).toEqual({ runId: "r1", traceId: root!.traceId, agent: "supervisor", status: "running", startTime: "2026-01-01T00:00:00.000Z", durationMs: 0, steps: 0, errors: 0, inputTokens: 0, outputTokens: 0 });
      expect((await store.listRuns({ status: "running" })).runs.map((r) => r.runId)).toEqual(["r1"]);
      // Its input is kept with it; it is never a step.
      const [span] = await store.getRunSpans("r1");
      expect(JSON.parse(String(span?.attributes[OpenInference.INPUT_VALUE]))).toEqual({ goal: "g" });
      expect(await loadRunDetail(store, "r1")).toMatchObject({ steps: [], input: { goal: "g" } });
    });

    it("names a running run by its run-start span's agent, even when a worker's step was stored first", async () => {
      const root = makeSpan({ run: "named", key: "supervisor", startMs: 0, endMs: 100 });
      // A nested worker agent's step (its own gen_ai.agent.name), exported before the run-start span.
      const worker = makeSpan({ run: "named", key: "worker/tool:x#0", kind: "tool", parent: "supervisor", startMs: 10, endMs: 20 });
      await store.ingest([worker]);
      // A run under a propagated span announces itself as continued: it names the run all the same.
      await store.ingest([makeRunStart(root, RunStart.CONTINUED)]);
      expect(await store.getRun("named")).toMatchObject({ agent: "supervisor", status: "running" });
      expect((await store.listRuns({ agent: "supervisor" })).runs.map((r) => r.runId)).toEqual(["named"]);
      await store.ingest([root]);
      expect(await store.getRun("named")).toMatchObject({ agent: "supervisor", status: "ok" });
    });

    it("gives a run's detail the input of the run-start span where it began, before any continued one", async () => {
      const [root, ...rest] = failedRun();
      const continued = makeRunStart(rest[0]!, RunStart.CONTINUED);
      // The continued one (a consumer's, with the message it received) starts first here: the run's own start still wins.
      const early = String(BigInt(continued.startTimeUnixNano) - 1_000_000_000n);
      await store.ingest([{ ...continued, startTimeUnixNano: early, endTimeUnixNano: early, attributes: { ...continued.attributes, [OpenInference.INPUT_VALUE]: '{"message":"m"}' } }]);
      expect((await loadRunDetail(store, "r1"))?.input).toEqual({ message: "m" });
      await store.ingest([makeRunStart(root!)]);
      expect(await loadRunDetail(store, "r1")).toMatchObject({ steps: [], input: { goal: "g" } });
      // A run without a run-start span has no input of its own: its root step holds it.
      await store.ingest([makeSpan({ run: "r2", key: "worker", startMs: 0, endMs: 5, input: { job: 1 } })]);
      expect(await loadRunDetail(store, "r2")).not.toHaveProperty("input");
    });

    it("makes the same run of a run-start span and the run's spans, in either order", async () => {
      const spans = failedRun();
      const start = makeRunStart(spans[0]!);
      await store.ingest([start, ...spans.slice(1)]);
      expect(await store.getRun("r1")).toMatchObject({ status: "running", agent: "supervisor", steps: 2, errors: 2 });
      await store.ingest([spans[0]!]);
      const markerFirst = await store.getRun("r1");
      const markerFirstSteps = (await loadRunDetail(store, "r1"))?.steps;
      await store.close();
      store = await open();
      await store.ingest(spans);
      await store.ingest([start]);
      expect(await store.getRun("r1")).toEqual(markerFirst);
      expect((await loadRunDetail(store, "r1"))?.steps).toEqual(markerFirstSteps);
      // And the same as a run that never had one.
      expect(markerFirst).toMatchObject({ status: "error", agent: "supervisor", startTime: "2026-01-01T00:00:00.000Z", durationMs: 100, steps: 3, errors: 3 });
      expect(markerFirstSteps?.map((s) => s.key)).toEqual(["supervisor", "supervisor/node:research#0", "supervisor/node:research#0/tool:fetch#0"]);
    });

    it("takes the earliest parentless span as the run's root whatever the arrival order, a tie going to the lower span id", async () => {
      // Two parentless spans of one run (other instrumentation, or a process that lost the context), started at the same instant.
      const failed = makeSpan({ run: "two", key: "alpha", startMs: 100, endMs: 200, error: "boom" });
      const passed = makeSpan({ run: "two", key: "beta", startMs: 100, endMs: 150 });
      const [low, high] = failed.spanId < passed.spanId ? [failed, passed] : [passed, failed];
      const expected = { agent: low.name, status: low.status.code === 2 ? "error" : "ok", steps: 2 };
      for (const order of [[low, high], [high, low]]) {
        await store.ingest([order[0]!]);
        await store.ingest([order[1]!]);
        expect(await store.getRun("two")).toMatchObject(expected);
        await store.close();
        store = await open();
        await store.ingest(order);
        expect(await store.getRun("two")).toMatchObject(expected);
        await store.close();
        store = await open();
      }
      // An earlier one wins over both, arriving last.
      const earlier = makeSpan({ run: "two", key: "gamma", startMs: 50, endMs: 60 });
      await store.ingest([high, low]);
      await store.ingest([earlier]);
      expect(await store.getRun("two")).toMatchObject({ agent: "gamma", status: "ok", steps: 3 });
    });

    it("ends a run at its own root even under a parent: one it never gets, or a parentless span of other instrumentation above it", async () => {
      // Under a caller's span that is never exported (a traceparent from a client, a Lambda's X-Ray segment).
      const root = { ...makeSpan({ run: "under", key: "supervisor", startMs: 10, endMs: 100, error: "boom" }), parentSpanId: "00f067aa0ba902b7" };
      const child = makeSpan({ run: "under", key: "supervisor/tool:t#0", kind: "tool", parent: "supervisor", startMs: 20, endMs: 90, error: "boom" });
      await store.ingest([child, root]);
      expect(await store.getRun("under")).toMatchObject({ agent: "supervisor", status: "error" });
      expect((await store.listRuns({ status: "error" })).runs.map((r) => r.runId)).toContain("under");
      // Under an HTTP server span of other instrumentation, in the same trace (the run id is the trace id), in either order.
      const traceId = hexId("http", 32);
      const server = makeSpan({ run: traceId, traceSeed: "http", key: "GET /chat", startMs: 0, endMs: 120 });
      for (const key of ["tracewright.run.id", "tracewright.step.key", "tracewright.step.kind", "gen_ai.agent.name"]) delete (server.attributes as Record<string, unknown>)[key];
      const agentRoot = { ...makeSpan({ run: traceId, traceSeed: "http", key: "supervisor", startMs: 5, endMs: 110, error: "boom" }), parentSpanId: server.spanId };
      for (const order of [[server, agentRoot], [agentRoot, server]]) {
        for (const span of order) await store.ingest([span]);
        expect(await store.getRun(traceId)).toMatchObject({ agent: "supervisor", status: "error" });
        await store.close();
        store = await open();
      }
      // A consumer continuing the run under its producer's span, keyed on its own (no room for the
      // parent key in the message): it does not end the run; the producer's root does.
      const producer = makeSpan({ run: "carried", key: "producer", startMs: 0, endMs: 500 });
      const consumer = { ...makeSpan({ run: "carried", key: "worker", startMs: 100, endMs: 200, error: "boom" }), parentSpanId: hexId("carried/producer/message", 16), kind: 5 };
      await store.ingest([consumer]);
      expect((await store.getRun("carried"))?.status).toBe("running");
      await store.ingest([producer]);
      expect(await store.getRun("carried")).toMatchObject({ status: "ok", agent: "producer" });
      // A root of other instrumentation whose exporter writes an all-zero parent id for none.
      const zero = { ...makeSpan({ run: "zero", key: "handler", startMs: 0, endMs: 10 }), parentSpanId: "0000000000000000" };
      await store.ingest([zero]);
      expect((await store.getRun("zero"))?.status).toBe("ok");
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

    it("hands back whole the states sent by reference, and names a payload it does not have", async () => {
      const input = JSON.stringify({ docs: Array.from({ length: 400 }, (_, i) => ({ i, text: "ü lorem ipsum ".repeat(20) })) });
      const output = JSON.stringify({ summary: "s".repeat(70_000) });
      const ref = (text: string): string => createHash("sha256").update(text).digest("hex");
      const marker = (text: string): string => JSON.stringify({ $type: PayloadMarker.OFFLOADED, bytes: Buffer.byteLength(text), preview: text.slice(0, 100), ref: ref(text) });
      const span = makeSpan({
        run: "p1",
        key: "agent",
        attributes: { [OpenInference.INPUT_VALUE]: marker(input), [OpenInference.OUTPUT_VALUE]: marker(output), [Tracewright.PAYLOAD_REF]: [ref(input), ref(output)] },
      });
      // The input's payload arrives before its span, the output's after.
      await store.putPayload(ref(input), input);
      await store.ingest([span]);
      const [early] = await store.getRunSpans("p1");
      expect(early?.attributes[OpenInference.INPUT_VALUE]).toBe(input);
      expect(JSON.parse(String(early?.attributes[OpenInference.OUTPUT_VALUE]))).toEqual({ $type: PayloadMarker.MISSING, bytes: 70_014, preview: output.slice(0, 100), ref: ref(output) });
      await store.putPayload(ref(output), output);
      const detail = await loadRunDetail(store, "p1");
      expect(detail?.steps[0]?.input).toEqual(JSON.parse(input));
      expect(detail?.steps[0]?.output).toEqual(JSON.parse(output));
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

/** What a backend declares it cannot answer; the contract then checks that it refuses it clearly. */
export interface QueryCapabilities {
  /** `RunQuery.text`. Default: true. Without it, a text query must fail with `STORE_QUERY_UNSUPPORTED`. */
  textSearch?: boolean;
}

/**
 * The contract of the dashboard's queries (`RunQuery` filters and sorts, `TraceQueries`): run
 * against every backend that implements them.
 */
export function describeQueryContract(name: string, open: () => Promise<TraceStore & TraceQueries> | (TraceStore & TraceQueries), capabilities: QueryCapabilities = {}): void {
  describe(`TraceQueries contract: ${name}`, () => {
    let store: TraceStore & TraceQueries;
    beforeEach(async () => {
      store = await open();
      // Six runs, one second apart: agents a/b alternate, durations vary, two fail, text varies.
      const specs = [
        { run: "q0", agent: "alpha", ms: 50, input: { city: "Paris" } },
        { run: "q1", agent: "beta", ms: 400, input: { city: "Lyon" }, error: "HTTP 503 from upstream" },
        { run: "q2", agent: "alpha", ms: 200, input: { note: 'say "hi" 100%' } },
        { run: "q3", agent: "beta", ms: 10, input: { city: "paris" } },
        { run: "q4", agent: "alpha", ms: 400, input: { city: "Oslo" }, error: "quota" },
        { run: "q5", agent: "beta", ms: 120, input: { q: "x" } },
      ];
      for (const [i, spec] of specs.entries()) {
        const start = i * 1000;
        await store.ingest([
          makeSpan({ run: spec.run, key: spec.agent, startMs: start, endMs: start + spec.ms, input: spec.input, ...(spec.error === undefined ? {} : { error: spec.error }) }),
          makeSpan({ run: spec.run, key: `${spec.agent}/llm:chat#0`, kind: "llm", parent: spec.agent, startMs: start + 1, endMs: start + 1 + spec.ms / 2, output: { answer: `reply-${spec.run}` }, attributes: { "gen_ai.usage.input_tokens": 100 + i, "gen_ai.usage.output_tokens": 10 } }),
        ]);
      }
    });
    afterEach(async () => {
      await store.close();
    });
    const ids = async (query: Parameters<TraceStore["listRuns"]>[0]) => (await store.listRuns(query)).runs.map((r) => r.runId);

    it("filters by start time, minimum duration and errors", async () => {
      expect(await ids({ startedAfter: new Date(T0_MS + 3000).toISOString() })).toEqual(["q5", "q4", "q3"]);
      expect(await ids({ minDurationMs: 200 })).toEqual(["q4", "q2", "q1"]);
      expect(await ids({ hasErrors: true })).toEqual(["q4", "q1"]);
      expect(await ids({ hasErrors: false, agent: "alpha" })).toEqual(["q2", "q0"]);
      expect(await ids({ hasErrors: true, minDurationMs: 400, startedAfter: new Date(T0_MS + 2000).toISOString() })).toEqual(["q4"]);
      await expect(store.listRuns({ startedAfter: "yesterday" })).rejects.toThrow(/startedAfter must be an ISO 8601 instant/);
      await expect(store.listRuns({ minDurationMs: -1 })).rejects.toThrow(/minDurationMs must be/);
    });

    it("takes a page size of 1 to 1,000 (a fraction rounded down), and refuses one that is not a number", async () => {
      expect(await ids({ limit: 2.5 })).toEqual(["q5", "q4"]);
      const page = await store.listRuns({ limit: 2.5 });
      expect((await store.listRuns({ limit: 2.5, cursor: page.nextCursor! })).runs.map((r) => r.runId)).toEqual(["q3", "q2"]);
      expect(await ids({ limit: 0 })).toEqual(["q5"]);
      expect(await ids({ limit: 1e9 })).toHaveLength(6);
      expect(await ids({ limit: Number.POSITIVE_INFINITY })).toHaveLength(6);
      for (const limit of [Number.NaN, "10" as unknown as number]) {
        await expect(store.listRuns({ limit })).rejects.toMatchObject({ code: "STORE_BAD_QUERY", message: expect.stringContaining("limit must be") as unknown as string });
      }
    });

    if (capabilities.textSearch === false) {
      it("refuses a text query with STORE_QUERY_UNSUPPORTED, naming the text, and ignores a blank one", async () => {
        await expect(store.listRuns({ text: "paris" })).rejects.toMatchObject({ code: "STORE_QUERY_UNSUPPORTED", message: expect.stringContaining('"paris"') as unknown as string });
        expect(await ids({ text: "   " })).toHaveLength(6);
      });
    } else {
      it("finds runs by a case-insensitive substring of any step's input, output or error, taken literally", async () => {
        expect(await ids({ text: "PARIS" })).toEqual(["q3", "q0"]);
        expect(await ids({ text: "reply-q4" })).toEqual(["q4"]);
        expect(await ids({ text: "503" })).toEqual(["q1"]);
        expect(await ids({ text: 'say "hi" 100%' })).toEqual(["q2"]);
        expect(await ids({ text: "0%" })).toEqual(["q2"]);
        expect(await ids({ text: "IS" })).toEqual(["q3", "q0"]);
        expect(await ids({ text: "paris", agent: "beta" })).toEqual(["q3"]);
        expect(await ids({ text: "nowhere to be found" })).toEqual([]);
        expect(await ids({ text: "   " })).toHaveLength(6);
        // The index cannot search for a NUL: refused, named, as a bad query (it failed inside SQLite: "unterminated string").
        for (const text of ["ab\u0000cd", "\u0000"]) await expect(store.listRuns({ text })).rejects.toMatchObject({ code: "STORE_BAD_QUERY", message: expect.stringContaining("NUL character") as unknown as string });
        // A run's id, whole or its start (the dashboard's short id), finds that run, though no state holds it.
        await store.ingest([makeSpan({ run: "6ee3c582d9f14e0b", key: "gamma", startMs: 9000 })]);
        expect(await ids({ text: "6ee3c582" })).toEqual(["6ee3c582d9f14e0b"]);
        expect(await ids({ text: "6ee3c582d9f14e0b" })).toEqual(["6ee3c582d9f14e0b"]);
        expect(await ids({ text: "6e" })).toEqual(["6ee3c582d9f14e0b"]);
      });
    }

    it("sorts by duration either way and pages with cursors of that sort only", async () => {
      expect(await ids({ sort: "duration" })).toEqual(["q4", "q1", "q2", "q5", "q0", "q3"]);
      expect(await ids({ sort: "duration", order: "asc" })).toEqual(["q3", "q0", "q5", "q2", "q1", "q4"]);
      expect(await ids({ sort: "start", order: "asc" })).toEqual(["q0", "q1", "q2", "q3", "q4", "q5"]);
      const first = await store.listRuns({ sort: "duration", limit: 2 });
      expect(first.runs.map((r) => r.runId)).toEqual(["q4", "q1"]);
      const second = await store.listRuns({ sort: "duration", limit: 2, cursor: first.nextCursor! });
      expect(second.runs.map((r) => r.runId)).toEqual(["q2", "q5"]);
      const asc = await store.listRuns({ sort: "start", order: "asc", limit: 4 });
      expect((await store.listRuns({ sort: "start", order: "asc", limit: 4, cursor: asc.nextCursor! })).runs.map((r) => r.runId)).toEqual(["q4", "q5"]);
      await expect(store.listRuns({ sort: "start", cursor: first.nextCursor! })).rejects.toThrow(/another sort order/);
      const newest = await store.listRuns({ limit: 2 });
      expect((await store.listRuns({ limit: 2, cursor: newest.nextCursor! })).runs.map((r) => r.runId)).toEqual(["q3", "q2"]);
    });

    it("lists agents and reads one span of a run", async () => {
      expect(await store.listAgents()).toEqual(["alpha", "beta"]);
      const spans = await store.getRunSpans("q1");
      const llm = spans.find((s) => s.parentSpanId !== undefined)!;
      expect(await store.getRunSpan("q1", llm.spanId)).toEqual(llm);
      expect(await store.getRunSpan("q2", llm.spanId)).toBeUndefined();
      expect(await store.getRunSpan("q1", "0000000000000000")).toBeUndefined();
      // A run's spans may be in several traces (a run resumed elsewhere): one in a later trace is found too, by this run only.
      const resumed = makeSpan({ run: "q1", key: "beta/tool:retry#0", kind: "tool", parent: "beta", startMs: 1500, traceSeed: "q1-resumed" });
      await store.ingest([resumed]);
      expect(await store.getRunSpan("q1", resumed.spanId)).toEqual(resumed);
      expect(await store.getRunSpan("q0", resumed.spanId)).toBeUndefined();
    });

    it("aggregates runs by status and tokens over time, and latency percentiles by agent and step", async () => {
      const stats = await store.runStats({ bucketMs: 2000 });
      expect(stats.bucketMs).toBe(2000);
      expect(stats.totals).toEqual({ runs: 6, errors: 2 });
      expect(stats.buckets.map((b) => [b.start, b.ok, b.error, b.running, b.inputTokens, b.outputTokens])).toEqual([
        [new Date(T0_MS).toISOString(), 1, 1, 0, 201, 20],
        [new Date(T0_MS + 2000).toISOString(), 2, 0, 0, 205, 20],
        [new Date(T0_MS + 4000).toISOString(), 1, 1, 0, 209, 20],
      ]);
      expect(stats.latency.filter((l) => l.kind === "agent")).toEqual([
        { kind: "agent", name: "alpha", count: 3, errors: 1, p50Ms: 200, p95Ms: 400 },
        { kind: "agent", name: "beta", count: 3, errors: 1, p50Ms: 120, p95Ms: 400 },
      ]);
      expect(stats.latency.filter((l) => l.kind === "llm")).toEqual([{ kind: "llm", name: "chat", count: 6, errors: 0, p50Ms: 60, p95Ms: 200 }]);
      const recent = await store.runStats({ startedAfter: new Date(T0_MS + 4000).toISOString(), bucketMs: 60_000 });
      expect(recent.totals).toEqual({ runs: 2, errors: 1 });
      expect(recent.buckets).toHaveLength(1);
      await expect(store.runStats({ bucketMs: 0 })).rejects.toThrow(/bucketMs must be/);
    });

    it("leaves replayed runs and their steps out of the aggregates unless asked, and counts them", async () => {
      const before = await store.runStats({ bucketMs: 2000 });
      expect(before.replays).toBe(0);
      // A replay of q0: its served model call took no time and repeats the recording's tokens.
      await store.ingest([
        makeSpan({ run: "r0", key: "alpha", startMs: 500, endMs: 505, attributes: { "tracewright.replay.of": "q0" } }),
        makeSpan({ run: "r0", key: "alpha/llm:chat#0", kind: "llm", parent: "alpha", startMs: 501, endMs: 501, attributes: { "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10 } }),
      ]);
      // In a bucket of its own, the replay's tokens leave no bucket behind.
      await store.ingest([
        makeSpan({ run: "r1", key: "beta", startMs: 9000, endMs: 9005, error: "boom", attributes: { "tracewright.replay.of": "q1" } }),
        makeSpan({ run: "r1", key: "beta/llm:chat#0", kind: "llm", parent: "beta", startMs: 9001, endMs: 9002, error: "boom", attributes: { "gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 1 } }),
      ]);
      const stats = await store.runStats({ bucketMs: 2000 });
      expect(stats.replays).toBe(2);
      expect({ ...stats, replays: 0 }).toEqual(before);
      const all = await store.runStats({ bucketMs: 2000, replays: true });
      expect(all.replays).toBe(2);
      expect(all.totals).toEqual({ runs: 8, errors: 3 });
      expect(all.buckets[0]).toMatchObject({ ok: 2, error: 1, inputTokens: 301, outputTokens: 30 });
      expect(all.buckets.at(-1)).toMatchObject({ error: 1, inputTokens: 7, outputTokens: 1 });
      expect(all.latency.find((l) => l.kind === "llm")).toMatchObject({ count: 8, errors: 1 });
      expect(all.latency.find((l) => l.kind === "agent" && l.name === "alpha")).toMatchObject({ count: 4 });
      expect((await store.runStats({ startedAfter: new Date(T0_MS + 8000).toISOString(), bucketMs: 60_000 })).replays).toBe(1);
    });
  });
}
