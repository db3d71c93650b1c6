import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { OpenInference, PayloadMarker, Tracewright } from "@tracewright/instrument/conventions";
import { openSqliteStore } from "./sqlite.js";
import { downgradeToSchema1, DOWN_TO_SCHEMA_5, DOWN_TO_SCHEMA_7, DOWN_TO_SCHEMA_9 } from "./schema.fixtures.js";
import { describeQueryContract, describeStoreContract } from "./store.contract.js";
import { makeSpan } from "./testing.js";
import type { SpanRecord } from "./types.js";

describeStoreContract("SQLite in memory", () => openSqliteStore({ path: ":memory:" }));
describeStoreContract("SQLite on disk", () => openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), "tw-store-")), "nested", "traces.db") }));
describeQueryContract("SQLite in memory", () => openSqliteStore({ path: ":memory:" }));

describe("SqliteStore", () => {
  it("searches a state sent by reference whole, from its payload, and not the marker's own words", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const state = JSON.stringify({ rows: Array.from({ length: 300 }, (_, i) => ({ i, text: "lorem ipsum dolor sit amet" })), city: "Hammerfest" });
    const ref = createHash("sha256").update(state).digest("hex");
    const marker = JSON.stringify({ $type: PayloadMarker.OFFLOADED, bytes: state.length, preview: state.slice(0, 100), ref });
    await store.putPayload(ref, state);
    await store.ingest([makeSpan({ run: "offloaded", key: "supervisor", attributes: { [OpenInference.OUTPUT_VALUE]: marker, [Tracewright.PAYLOAD_REF]: [ref] } })]);
    // Past the preview's first 100 characters: found in the payload.
    expect((await store.listRuns({ text: "Hammerfest" })).runs.map((r) => r.runId)).toEqual(["offloaded"]);
    expect((await store.listRuns({ text: "Offloaded" })).runs).toEqual([]);
    await store.close();
  });

  it("keeps indexing text past a stored record its search text cannot be read from", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    // Through the public ingest, a record without events (the collector always sends them): stored, but no text to index.
    const odd = makeSpan({ run: "odd", key: "supervisor", input: { city: "Hammerfest" } }) as Partial<SpanRecord>;
    delete odd.events;
    await store.ingest([odd as SpanRecord]);
    await store.ingest([makeSpan({ run: "later", key: "supervisor", input: { city: "Hammerfest" } })]);
    expect((await store.listRuns({ text: "Hammerfest" })).runs.map((r) => r.runId)).toContain("later");
    await store.close();
  });

  it("makes a new file with 32 KiB pages, and opens one made with 4 KiB pages as it is, data and all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-store-"));
    // The page size as the file's header records it (bytes 16–17, big-endian).
    const pageSize = (path: string): number => readFileSync(path).readUInt16BE(16);
    const fresh = join(dir, "new.db");
    const store = openSqliteStore({ path: fresh });
    await store.ingest([makeSpan({ run: "r", key: "supervisor" })]);
    await store.close();
    expect(pageSize(fresh)).toBe(32768);

    const older = join(dir, "old.db");
    const raw = new Database(older);
    raw.pragma("page_size = 4096");
    raw.pragma("journal_mode = WAL");
    raw.exec("CREATE TABLE kept (x INTEGER)");
    raw.close();
    const reopened = openSqliteStore({ path: older });
    await reopened.ingest([makeSpan({ run: "old", key: "supervisor" })]);
    await reopened.close();
    expect(pageSize(older)).toBe(4096);
    const again = openSqliteStore({ path: older });
    expect((await again.getRun("old"))?.steps).toBe(1);
    await again.close();
  });

  it("stores each distinct resource once, and gives every span read back its resource, rows stored before schema 7 too", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    const lambda = { "service.name": "checkout", "cloud.platform": "aws_lambda", "faas.name": "checkout-prod", "aws.log.group.names": ["/aws/lambda/checkout-prod"] };
    const container = { "service.name": "worker", "container.id": "0f3c" };
    const spans = [
      { ...makeSpan({ run: "r", key: "checkout" }), resource: lambda },
      { ...makeSpan({ run: "r", key: "checkout/tool:a#0", parent: "checkout" }), resource: lambda },
      { ...makeSpan({ run: "r", key: "checkout/tool:b#0", parent: "checkout" }), resource: container },
    ];
    await store.ingest(spans);
    // A later batch, its resource an equal object of its own (as a second body decodes it).
    const later = { ...makeSpan({ run: "r", key: "checkout/tool:c#0", parent: "checkout" }), resource: { ...lambda } };
    await store.ingest([later]);
    expect(await store.getRunSpans("r")).toEqual(expect.arrayContaining([...spans, later].map((span) => expect.objectContaining({ spanId: span.spanId, resource: span.resource }))));
    expect(await store.getRunSpan("r", (spans[2] as SpanRecord).spanId)).toEqual(spans[2]);
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare(`SELECT body FROM resources ORDER BY id`).pluck().all().map((body) => JSON.parse(body as string))).toEqual([lambda, container]);
    expect(raw.prepare(`SELECT count(*) FROM spans WHERE resource_id IS NULL OR instr(body, '"resource"') > 0`).pluck().get()).toBe(0);
    raw.close();
    // A row of the run as a Tracewright before schema 7 stored it: the resource in its body.
    const older = { ...makeSpan({ run: "r", key: "checkout/tool:d#0", parent: "checkout" }), resource: { "service.name": "legacy" } };
    const writer = new Database(path);
    writer.prepare(`INSERT INTO spans (trace_id, span_id, run_id, parent_span_id, start_us, end_us, status_code, step_key, body) VALUES (?, ?, 'r', ?, 0, 0, 0, ?, ?)`).run(older.traceId, older.spanId, older.parentSpanId, older.attributes["tracewright.step.key"], JSON.stringify(older));
    writer.close();
    const reader = openSqliteStore({ path });
    const read = await reader.getRunSpans("r");
    expect(read).toHaveLength(5);
    expect(read.find((span) => span.spanId === older.spanId)).toEqual(older);
    expect(read.find((span) => span.spanId === later.spanId)?.resource).toEqual(lambda);
    await reader.close();
  });

  it("applies nothing of a batch that failed: a root it held does not end its run with the next batch", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    await store.ingest([makeSpan({ run: "late-root", key: "agent/tool:a#0", parent: "agent" })]);
    const root = makeSpan({ run: "late-root", key: "agent" });
    // A record without attributes makes the batch fail after its root was read.
    const broken = { ...makeSpan({ run: "late-root", key: "agent/tool:b#0", parent: "agent" }), attributes: undefined as unknown as SpanRecord["attributes"] };
    await expect(store.ingest([root, broken])).rejects.toThrow();
    await store.ingest([makeSpan({ run: "other", key: "other" })]);
    expect((await store.getRun("late-root"))?.status).toBe("running");
    // Sent again without the broken span, the root ends the run.
    await store.ingest([root]);
    expect((await store.getRun("late-root"))?.status).toBe("ok");
    await store.close();
  });

  it("checkpoints its WAL every 4 MB, as SQLite does at 4 KiB pages, not every 1,000 of its larger pages", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    const text = "x".repeat(1000);
    let largestWal = 0;
    // 15 batches of 2,000 spans of about 1.3 KB: some 40 MB through the WAL.
    for (let batch = 0; batch < 15; batch++) {
      await store.ingest(Array.from({ length: 2000 }, (_, i) => makeSpan({ run: `r${batch}`, key: `a/tool:t#${i}`, parent: "a", input: { text } })));
      largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    }
    await store.close();
    // A checkpoint at 4 MB leaves the WAL at most that and one batch (about 3 MB); at 1,000
    // pages of 32 KiB it would pass 32 MB.
    expect(largestWal).toBeGreaterThan(2 * 1024 * 1024);
    expect(largestWal).toBeLessThan(12 * 1024 * 1024);
  });

  it("persists across reopen and records its schema version", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    await store.ingest([makeSpan({ run: "r", key: "supervisor" })]);
    await store.close();
    const again = openSqliteStore({ path });
    expect((await again.getRun("r"))?.steps).toBe(1);
    await again.close();
    const raw = new Database(path);
    expect(raw.pragma("user_version", { simple: true })).toBe(10);
    const plan = (sql: string): string => (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
    // One span of a run, by its trace id and span id in each trace of the run (migration 5); all of them, sorted (migration 10).
    expect(plan("SELECT body FROM spans WHERE trace_id IN (SELECT trace_id FROM run_traces WHERE run_id = 'r') AND span_id = 'x' AND +run_id = 'r' LIMIT 1")).toMatch(
      /SEARCH spans USING INDEX sqlite_autoindex_spans_1 \(trace_id=\? AND span_id=\?\).*SEARCH run_traces USING PRIMARY KEY \(run_id=\?\)/,
    );
    expect(plan("SELECT body FROM spans WHERE trace_id IN (SELECT trace_id FROM run_traces WHERE run_id = 'r') AND +run_id = 'r' ORDER BY start_us, rowid")).toMatch(
      /SEARCH spans USING INDEX sqlite_autoindex_spans_1 \(trace_id=\?\).*SEARCH run_traces USING PRIMARY KEY \(run_id=\?\).*USE TEMP B-TREE FOR ORDER BY/,
    );
    // The replays' steps, which the charts leave out: from the few replays to their traces' spans, never a scan of spans.
    expect(plan("SELECT s.kind FROM runs r CROSS JOIN run_traces t ON t.run_id = r.run_id CROSS JOIN spans s ON s.trace_id = t.trace_id AND +s.run_id = r.run_id WHERE r.replay_of IS NOT NULL AND r.end_us >= 0 AND s.start_us >= 0")).toBe(
      "SEARCH r USING INDEX runs_replays (end_us>?); SEARCH t USING PRIMARY KEY (run_id=?); SEARCH s USING INDEX sqlite_autoindex_spans_1 (trace_id=?)",
    );
    // The chart aggregates read indexes only, never span rows.
    expect(plan("SELECT start_us, sum(input_tokens), sum(output_tokens) FROM spans WHERE (input_tokens IS NOT NULL OR output_tokens IS NOT NULL) AND start_us >= 0 GROUP BY start_us")).toContain("COVERING INDEX spans_tokens");
    expect(plan("SELECT name, end_us - start_us, status_code FROM spans WHERE kind = 'tool' AND start_us >= 0 ORDER BY name")).toContain("COVERING INDEX spans_kind_start");
    raw.pragma("user_version = 99");
    raw.close();
    expect(() => openSqliteStore({ path })).toThrow(/schema version 99, newer than this Tracewright knows/);
  });

  it("migrates a version-1 store: backfills search text, step kinds and token counts", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    await store.ingest([
      makeSpan({ run: "old", key: "supervisor", startMs: 0, endMs: 100, input: { question: "Where is Tromsø?" } }),
      makeSpan({ run: "old", key: "supervisor/llm:chat#0", kind: "llm", parent: "supervisor", startMs: 1, endMs: 41, attributes: { "gen_ai.usage.input_tokens": 7 } }),
    ]);
    await store.close();
    downgradeToSchema1(path);
    const again = openSqliteStore({ path });
    expect((await again.listRuns({ text: "tromsø" })).runs.map((r) => r.runId)).toEqual(["old"]);
    expect((await again.listRuns({ minDurationMs: 100 })).runs).toHaveLength(1);
    const stats = await again.runStats();
    expect(stats.latency.find((l) => l.kind === "llm")).toMatchObject({ name: "chat", count: 1, p50Ms: 40 });
    expect(stats.buckets.reduce((n, b) => n + b.inputTokens, 0)).toBe(7);
    expect(await again.getRun("old")).toMatchObject({ inputTokens: 7, outputTokens: 0 });
    await again.close();
  });

  it("migrates a version-7 store: a run left running because its root had a parent is ended by that root", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-v7-")), "traces.db");
    const store = openSqliteStore({ path });
    await store.ingest([
      { ...makeSpan({ run: "v7", key: "supervisor", startMs: 0, endMs: 100, error: "boom" }), parentSpanId: "00f067aa0ba902b7" },
      makeSpan({ run: "v7", key: "supervisor/tool:t#0", kind: "tool", parent: "supervisor", startMs: 10, endMs: 90, error: "boom" }),
      makeSpan({ run: "done", key: "supervisor", startMs: 0, endMs: 50 }),
    ]);
    await store.close();
    // As the previous Tracewright left it: the first run running, the other ended by its parentless root.
    const raw = new Database(path);
    raw.exec(`${DOWN_TO_SCHEMA_7} UPDATE runs SET status = 'running', root_span_id = NULL, root_start_us = NULL WHERE run_id = 'v7'; PRAGMA user_version = 7;`);
    raw.close();
    const again = openSqliteStore({ path });
    expect(await again.getRun("v7")).toMatchObject({ status: "error", agent: "supervisor" });
    expect(await again.getRun("done")).toMatchObject({ status: "ok", agent: "supervisor" });
    await again.close();
  });

  it("migrates a version-5 store: each run's token totals summed from its stored spans, then kept at ingest", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    await store.ingest([
      makeSpan({ run: "v5", key: "supervisor", startMs: 0, endMs: 100 }),
      makeSpan({ run: "v5", key: "supervisor/llm:chat#0", kind: "llm", parent: "supervisor", attributes: { "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 } }),
      makeSpan({ run: "v5", key: "supervisor/llm:chat#1", kind: "llm", parent: "supervisor", attributes: { "gen_ai.usage.input_tokens": 80 } }),
      makeSpan({ run: "none", key: "supervisor" }),
    ]);
    await store.close();
    const raw = new Database(path);
    // Counts an older Tracewright stored unbounded: summed, they would overflow SQLite's integers.
    raw.exec(`${DOWN_TO_SCHEMA_5} INSERT INTO spans (trace_id, span_id, run_id, start_us, end_us, status_code, body, kind, input_tokens)
      VALUES ('t', 'a', 'huge', 1, 2, 0, '{}', 'llm', 9000000000000000000), ('t', 'b', 'huge', 1, 2, 0, '{}', 'llm', 9000000000000000000);
      INSERT INTO runs (run_id, trace_id, start_us, end_us) VALUES ('huge', 't', 1, 2);
      PRAGMA user_version = 5;`);
    raw.close();
    const again = openSqliteStore({ path });
    // The store opens (the backfill does not fail), and the run and the charts are read.
    expect((await again.getRun("huge"))?.inputTokens).toBeGreaterThan(9e18);
    expect((await again.runStats()).buckets.reduce((n, b) => n + b.inputTokens, 0)).toBeGreaterThan(9e18);
    expect(await again.getRun("v5")).toMatchObject({ inputTokens: 200, outputTokens: 30 });
    expect(await again.getRun("none")).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    await again.ingest([makeSpan({ run: "v5", key: "supervisor/llm:chat#2", kind: "llm", parent: "supervisor", attributes: { "gen_ai.usage.output_tokens": 5 } })]);
    expect((await again.listRuns({ agent: "supervisor" })).runs.find((r) => r.runId === "v5")).toMatchObject({ inputTokens: 200, outputTokens: 35 });
    await again.close();
  });

  it("migrates a version-4 store: a run's spans are found by trace and span id, in every trace the run has", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    const spans = [
      makeSpan({ run: "v4", key: "supervisor", startMs: 0, endMs: 100 }),
      makeSpan({ run: "v4", key: "supervisor/tool:b#0", kind: "tool", parent: "supervisor", startMs: 20 }),
      // Stored after a later step, in a second trace of the run: getRunSpans still orders by start time.
      makeSpan({ run: "v4", key: "supervisor/tool:a#0", kind: "tool", parent: "supervisor", startMs: 10, traceSeed: "v4-resumed" }),
      makeSpan({ run: "other", key: "supervisor", startMs: 5 }),
    ];
    await store.ingest(spans);
    await store.close();
    // Take the file back to schema 4, as the previous Tracewright left it.
    const raw = new Database(path);
    raw.exec(`${DOWN_TO_SCHEMA_5} DROP TABLE run_traces; CREATE INDEX spans_run_span ON spans (run_id, span_id); PRAGMA user_version = 4;`);
    raw.close();
    const again = openSqliteStore({ path });
    expect((await again.getRunSpans("v4")).map((s) => s.attributes["tracewright.step.key"])).toEqual(["supervisor", "supervisor/tool:a#0", "supervisor/tool:b#0"]);
    for (const span of spans.slice(0, 3)) expect(await again.getRunSpan("v4", span.spanId)).toEqual(span);
    expect(await again.getRunSpan("other", (spans[2] as SpanRecord).spanId)).toBeUndefined();
    expect(await again.getRunSpan("other", (spans[3] as SpanRecord).spanId)).toEqual(spans[3]);
    // Redelivered spans are still stored once, whatever else changed in them.
    expect(await again.ingest([spans[1] as SpanRecord, { ...(spans[2] as SpanRecord), attributes: { "tracewright.run.id": "elsewhere" } }])).toEqual({ inserted: 0, duplicates: 2 });
    await again.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(10);
    expect(after.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'spans' ORDER BY name`).pluck().all()).toEqual(["spans_kind_start", "spans_tokens", "sqlite_autoindex_spans_1"]);
    expect(after.prepare(`SELECT run_id, trace_id FROM run_traces ORDER BY run_id, trace_id`).all()).toHaveLength(3);
    after.close();
  });

  it("migrates a version-9 store: a run-start span, whose trace schema 9 did not list for its run, is found with the run's spans", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const store = openSqliteStore({ path });
    // The run-start span of a run continued in a second trace (a consumer's), stored before its steps.
    const start = makeSpan({ run: "v9", key: "consumer", startMs: 0, traceSeed: "v9-consumer", attributes: { "tracewright.run.start": "continued" } });
    const step = makeSpan({ run: "v9", key: "supervisor", startMs: 5 });
    // Another run in the consumer's trace: its spans are not the run's.
    const neighbour = makeSpan({ run: "v9-other", key: "supervisor", startMs: 1, traceSeed: "v9-consumer" });
    await store.ingest([start, step, neighbour]);
    expect((await store.getRunSpans("v9")).map((s) => s.spanId)).toEqual([start.spanId, step.spanId]);
    expect(await store.getRunSpan("v9", start.spanId)).toEqual(start);
    expect(await store.getRunSpan("v9", neighbour.spanId)).toBeUndefined();
    await store.close();
    // Back to schema 9, which wrote no run_traces row for a run-start span.
    const raw = new Database(path);
    raw.exec(`${DOWN_TO_SCHEMA_9} DELETE FROM run_traces WHERE run_id = 'v9' AND trace_id = '${start.traceId}'; PRAGMA user_version = 9;`);
    raw.close();
    const again = openSqliteStore({ path });
    expect((await again.getRunSpans("v9")).map((s) => s.spanId)).toEqual([start.spanId, step.spanId]);
    expect((await again.getRunSpans("v9-other")).map((s) => s.spanId)).toEqual([neighbour.spanId]);
    await again.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(10);
    expect(after.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'spans_run'`).pluck().get()).toBe(0);
    after.close();
  });

  it("indexes run search text off the ingest path: in the background, and wholly before a text query on any connection", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-store-")), "traces.db");
    const writer = openSqliteStore({ path });
    const reader = openSqliteStore({ path });
    const raw = new Database(path, { readonly: true });
    const indexed = (): number => raw.prepare("SELECT count(*) FROM run_text").pluck().get() as number;
    const spans = Array.from({ length: 450 }, (_, i) => makeSpan({ run: `run-${i}`, key: "supervisor", startMs: i, input: { city: i === 449 ? "Tromsø" : `city-${i}` } }));
    await writer.ingest(spans);
    // Ingest answered without building the index.
    expect(indexed()).toBe(0);
    // Another connection's text query brings the index up to date first.
    expect((await reader.listRuns({ text: "tromsø" })).runs.map((r) => r.runId)).toEqual(["run-449"]);
    expect(indexed()).toBe(450);
    // The writer's background slices find nothing left to do, and index what comes next on their own.
    await writer.ingest([makeSpan({ run: "late", key: "supervisor", startMs: 1000, input: { city: "Hammerfest" } })]);
    for (let waited = 0; indexed() < 451 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(indexed()).toBe(451);
    expect((await writer.listRuns({ text: "hammerfest" })).runs.map((r) => r.runId)).toEqual(["late"]);
    raw.close();
    await reader.close();
    await writer.close();
  });

  it("finds one or two letters of any script case-insensitively, as it finds three or more", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    await store.ingest([
      makeSpan({ run: "de", key: "a", startMs: 0, input: { city: "Über" } }),
      makeSpan({ run: "el", key: "a", startMs: 1, input: { word: "ΣΑΣ" } }),
      makeSpan({ run: "ru", key: "a", startMs: 2, input: { word: "Дом" } }),
      makeSpan({ run: "en", key: "a", startMs: 3, input: { word: "Oslo 100%_x" } }),
    ]);
    const ids = async (text: string): Promise<string[]> => (await store.listRuns({ text })).runs.map((r) => r.runId);
    // Three letters or more go through the trigram index, which folds case in every script.
    expect(await ids("über")).toEqual(["de"]);
    expect(await ids("σας")).toEqual(["el"]);
    // Fewer: a scan, which must fold case the same way.
    expect(await ids("üb")).toEqual(["de"]);
    expect(await ids("ü")).toEqual(["de"]);
    expect(await ids("σα")).toEqual(["el"]);
    expect(await ids("дО")).toEqual(["ru"]);
    expect(await ids("OS")).toEqual(["en"]);
    expect(await ids("%_")).toEqual(["en"]);
    expect(await ids("x")).toEqual(["en"]);
    await store.close();
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
