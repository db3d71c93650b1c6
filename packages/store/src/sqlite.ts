import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Database as Db, Statement } from "better-sqlite3";
import { Exception, GenAI, OpenInference, readOffloadedMarker } from "@tracewright/instrument/conventions";
import { derive, RootRank } from "./derive.js";
import { resolvePayloads } from "./payloads.js";
import { StoreError } from "./errors.js";
import { decodeSortCursor, encodeSortCursor, pageSize } from "./cursor.js";
import { bucketTable, isoToMicros, latencyOfGroups, statsWindow } from "./stats.js";
import { spanTokens, stepKind, stepName } from "./steps.js";
import type { Attributes, AttributeValue, IngestResult, LatencyStat, RunPage, RunQuery, RunStats, RunStatus, RunSummary, SpanRecord, StatsQuery, TraceQueries, TraceStore } from "./types.js";

export interface SqliteStoreOptions {
  /**
   * The database file, created with its folder if missing; `":memory:"` for a private
   * in-memory store. Env: `TRACEWRIGHT_DB`. Default: `.tracewright/traces.db` under the
   * current directory.
   */
  path?: string;
}

/** The default database path: options, then `TRACEWRIGHT_DB`, then `.tracewright/traces.db`. */
export function resolveDbPath(path?: string): string {
  return path ?? process.env.TRACEWRIGHT_DB ?? ".tracewright/traces.db";
}

/**
 * Versioned schema migrations, applied in order inside one transaction each; the version
 * lives in `PRAGMA user_version`. Append, never edit, a migration that has shipped. A migration
 * is SQL, or a function for one that must compute with the same code as ingest (a backfill).
 */
const MIGRATIONS: readonly (string | ((db: Db) => void))[] = [
  `CREATE TABLE spans (
     trace_id TEXT NOT NULL,
     span_id TEXT NOT NULL,
     run_id TEXT NOT NULL,
     parent_span_id TEXT,
     start_us INTEGER NOT NULL,
     end_us INTEGER NOT NULL,
     status_code INTEGER NOT NULL,
     step_key TEXT,
     body TEXT NOT NULL,
     UNIQUE (trace_id, span_id)
   );
   CREATE INDEX spans_run ON spans (run_id, start_us);
   CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     trace_id TEXT NOT NULL,
     agent TEXT NOT NULL DEFAULT '',
     status TEXT NOT NULL DEFAULT 'running',
     root_span_id TEXT,
     root_start_us INTEGER,
     start_us INTEGER NOT NULL,
     end_us INTEGER NOT NULL,
     steps INTEGER NOT NULL DEFAULT 0,
     errors INTEGER NOT NULL DEFAULT 0,
     replay_of TEXT
   );
   CREATE INDEX runs_start ON runs (start_us DESC, run_id DESC);
   CREATE INDEX runs_status_start ON runs (status, start_us DESC, run_id DESC);
   CREATE INDEX runs_agent_start ON runs (agent, start_us DESC, run_id DESC);
   CREATE TABLE payloads (
     hash TEXT PRIMARY KEY,
     body TEXT NOT NULL
   );`,
  // 2: what the dashboard queries. Run text for search (FTS5, trigram tokenizer: any substring of
  // three characters or more is found through the index, case-insensitively); run duration as an
  // indexed virtual column for sorting and filtering; per-span kind, name and token counts for the
  // charts; a lookup of one span of a run. Existing spans are backfilled by the ingest code.
  (db) => {
    db.exec(`CREATE VIRTUAL TABLE run_text USING fts5(run_id UNINDEXED, body, tokenize = 'trigram');
      ALTER TABLE runs ADD COLUMN duration_us INTEGER GENERATED ALWAYS AS (end_us - start_us) VIRTUAL;
      CREATE INDEX runs_duration ON runs (duration_us DESC, run_id DESC);
      ALTER TABLE spans ADD COLUMN kind TEXT;
      ALTER TABLE spans ADD COLUMN name TEXT;
      ALTER TABLE spans ADD COLUMN input_tokens INTEGER;
      ALTER TABLE spans ADD COLUMN output_tokens INTEGER;
      CREATE INDEX spans_run_span ON spans (run_id, span_id);
      CREATE INDEX spans_kind_start ON spans (kind, start_us);
      CREATE INDEX spans_tokens ON spans (start_us) WHERE input_tokens IS NOT NULL OR output_tokens IS NOT NULL;`);
    const update = db.prepare(`UPDATE spans SET kind = ?, name = ?, input_tokens = ?, output_tokens = ? WHERE rowid = ?`);
    const text = db.prepare(`INSERT INTO run_text (run_id, body) VALUES (?, ?)`);
    // In pages by rowid: better-sqlite3 cannot write while a read is being iterated.
    const page = db.prepare(`SELECT rowid AS id, run_id, body FROM spans WHERE rowid > ? ORDER BY rowid LIMIT 1000`);
    for (let after = 0; ; ) {
      const rows = page.all(after) as { id: number; run_id: string; body: string }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        const span = JSON.parse(row.body) as SpanRecord;
        const f = spanFacts(span);
        update.run(f.kind, f.name, f.inputTokens, f.outputTokens, row.id);
        const body = searchText(span);
        if (body !== "") text.run(row.run_id, body);
        after = row.id;
      }
    }
  },
  // 3: covering indexes for the chart aggregates (`runStats`), so that they never read span rows:
  // tokens over time 210 → 14 ms, latency by kind about a third faster, at 300,000 spans.
  `DROP INDEX spans_kind_start;
   CREATE INDEX spans_kind_start ON spans (kind, start_us, name, end_us, status_code);
   DROP INDEX spans_tokens;
   CREATE INDEX spans_tokens ON spans (start_us, input_tokens, output_tokens) WHERE input_tokens IS NOT NULL OR output_tokens IS NOT NULL;`,
  // 4: run search text is indexed off the ingest path (SqliteStore.indexText): the rowid of the
  // last span whose text is in run_text. Every span stored so far was indexed at ingest.
  `CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO store_meta (key, value) SELECT 'text_indexed_rowid', coalesce(max(rowid), 0) FROM spans;`,
  // 5: one index fewer on every span stored, for ingest (each index costs about as much as writing
  // the row): spans_run_span (run_id, span_id) goes. getRunSpan finds a span by its trace id and
  // span id instead, through the unique index dedup needs anyway, in each trace the run has spans
  // in: run_traces, one row per run and trace, written once per run per batch.
  `CREATE TABLE run_traces (run_id TEXT NOT NULL, trace_id TEXT NOT NULL, PRIMARY KEY (run_id, trace_id)) WITHOUT ROWID;
   INSERT INTO run_traces (run_id, trace_id) SELECT DISTINCT run_id, trace_id FROM spans;
   DROP INDEX spans_run_span;`,
  // 6: each run's token totals, for the run list (summed at ingest from then on; here from the
  // spans stored so far, through spans_run).
  `ALTER TABLE runs ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE runs ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
   UPDATE runs SET
     input_tokens = (SELECT CAST(total(input_tokens) AS INTEGER) FROM spans WHERE spans.run_id = runs.run_id),
     output_tokens = (SELECT CAST(total(output_tokens) AS INTEGER) FROM spans WHERE spans.run_id = runs.run_id);`,
  // 7: a span's resource (its process's attributes: a Lambda function's are about 1 KB, as much as
  // a small span's own) is stored once, in `resources`, and a span row names it (`resource_id`)
  // instead of repeating it in its body. Rows stored before keep theirs in the body (NULL here).
  `CREATE TABLE resources (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);
   ALTER TABLE spans ADD COLUMN resource_id INTEGER;`,
  // 8: how strong the run's root is (derive.ts, RootRank): the run's own run() span beats a
  // parentless span of other instrumentation, whatever their start times, and may have a parent.
  // The roots found so far were all parentless; runs still running may have their own root stored
  // already under a parent, and are settled from it here.
  (db) => {
    db.exec(`ALTER TABLE runs ADD COLUMN root_rank INTEGER;
      UPDATE runs SET root_rank = ${RootRank.PARENTLESS} WHERE root_span_id IS NOT NULL;`);
    const roots = db.prepare(`SELECT s.run_id, s.trace_id, s.span_id, s.start_us, s.status_code, s.body FROM spans s JOIN runs r ON r.run_id = s.run_id WHERE r.status = 'running' AND s.kind = 'agent' AND s.step_key IS NOT NULL AND instr(s.step_key, '/') = 0`).all() as { run_id: string; trace_id: string; span_id: string; start_us: number; status_code: number; body: string }[];
    const settle = db.prepare(SET_ROOT);
    for (const row of roots) {
      let d: ReturnType<typeof derive>;
      try {
        d = derive(JSON.parse(row.body) as SpanRecord);
      } catch {
        // A row no Tracewright wrote (a body that is not a span record): it keeps the root it had.
        continue;
      }
      if (d.rootRank === RootRank.RUN) settle.run(...setRootArgs(row.run_id, row.trace_id, row.span_id, row.start_us, row.status_code, d));
    }
  },
  // 9: the replayed runs, which `runStats` leaves out (a replay's served calls take no time and
  // repeat the recording's tokens): few beside the runs recorded, found without a scan of runs.
  `CREATE INDEX runs_replays ON runs (end_us) WHERE replay_of IS NOT NULL;`,
  // 10: one random insert fewer on every span stored: spans_run (run_id, start_us) goes. A run's
  // spans are found through its traces (run_traces, now written for run-start spans too) in the
  // unique index by trace and span id. Spans of many runs in each batch put each run's inserts at
  // a random place in every index keyed by run or trace: without this one, 16 runs' spans a
  // 512-span batch went 15.9 → 12.9 µs a span into a file (1 run: 12.4 → 11.7). A process of an
  // earlier Tracewright still writing to this file lists no trace for the run-start spans it stores.
  `INSERT INTO run_traces (run_id, trace_id) SELECT DISTINCT run_id, trace_id FROM spans WHERE true ON CONFLICT DO NOTHING;
   DROP INDEX spans_run;`,
];

/**
 * Makes a span its run's root — it names the run and ends it — if it is a stronger candidate
 * than the root the run has (RootRank, derive.ts): its own run() span beats the earliest
 * parentless span; of two of a rank, the earlier, and of two that started at the same instant,
 * the lower span id: the same root in any arrival order. Bound by {@link setRootArgs}.
 */
const SET_ROOT = `UPDATE runs SET trace_id = ?, agent = ?, status = ?, root_span_id = ?, root_start_us = ?, replay_of = ?, root_rank = ?
  WHERE run_id = ? AND (root_rank IS NULL OR root_rank < ? OR (root_rank = ? AND (root_start_us > ? OR (root_start_us = ? AND root_span_id > ?))))`;

/** {@link SET_ROOT}'s values for a span of a run, by what `derive` found of it. */
function setRootArgs(runId: string, traceId: string, spanId: string, startUs: number, statusCode: number, d: Pick<ReturnType<typeof derive>, "agent" | "replayOf" | "rootRank">): unknown[] {
  return [traceId, d.agent, statusCode === 2 ? "error" : "ok", spanId, startUs, d.replayOf, d.rootRank, runId, d.rootRank, d.rootRank, startUs, startUs, spanId];
}

/** Spans indexed for search per transaction; a background slice blocks ingest no longer than this takes. */
const INDEX_SLICE_SPANS = 100;
/** Spans per transaction when the index is brought up to date at once (before a text query). */
const INDEX_DRAIN_SPANS = 1000;
/** While batches keep arriving, the background indexer waits this long between slices: ingest comes first. */
const INDEX_BUSY_DELAY_MS = 250;

/** How much of one span's recorded text the search index keeps: the first 64 KB. */
export const SEARCH_TEXT_LIMIT = 64 * 1024;

/**
 * The text of a span that run search looks in: its input and output state and its error messages.
 * A state sent by reference is looked in whole, from `payload` (the store's payloads) when the
 * store has it by then, else in the preview its marker carries — never in the marker's own words.
 */
export function searchText(span: SpanRecord, payload?: (ref: string) => string | undefined): string {
  const a = span.attributes;
  const parts: string[] = [];
  const add = (value: AttributeValue | undefined): void => {
    if (value === undefined || value === null) return;
    if (typeof value !== "string") {
      leafText(value, parts);
      return;
    }
    const marker = readOffloadedMarker(value);
    if (marker !== undefined) {
      const body = payload?.(marker.ref);
      // A body larger than a few times what is kept is not parsed whole for its first 64 KB.
      if (body !== undefined && body.length <= 16 * SEARCH_TEXT_LIMIT) add(body);
      else parts.push(body === undefined ? marker.preview : body.slice(0, SEARCH_TEXT_LIMIT));
      return;
    }
    // Plain text (a prompt, a message) is kept as it is, without paying for a failed parse.
    if (!mayBeJson(value)) {
      parts.push(value);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parts.push(value);
      return;
    }
    leafText(parsed, parts);
  };
  add(a[OpenInference.INPUT_VALUE] ?? a[GenAI.INPUT_MESSAGES] ?? a[GenAI.TOOL_CALL_ARGUMENTS]);
  add(a[OpenInference.OUTPUT_VALUE] ?? a[GenAI.OUTPUT_MESSAGES] ?? a[GenAI.TOOL_CALL_RESULT]);
  if (span.status.message !== undefined && span.status.message !== "") parts.push(span.status.message);
  for (const event of span.events) if (event.name === Exception.EVENT_NAME) add(event.attributes[Exception.MESSAGE]);
  const text = parts.join("\n");
  return text.length > SEARCH_TEXT_LIMIT ? text.slice(0, SEARCH_TEXT_LIMIT) : text;
}

/** Whether `text` could be JSON: its first non-space character can start a JSON value. */
function mayBeJson(text: string): boolean {
  let i = 0;
  let c = text.charCodeAt(0);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
  // { [ " - digits t(rue) f(alse) n(ull)
  return c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
}

/**
 * The keys and leaf values of a JSON value as lines of text, so that a search finds what a
 * reader sees (a quote as typed, not as JSON text escapes it). Iterative: any depth is safe.
 */
function leafText(root: unknown, out: string[]): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || value === undefined) continue;
    if (typeof value === "object") {
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      } else {
        const object = value as Record<string, unknown>;
        const keys = Object.keys(object);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i] as string;
          stack.push(object[key]);
          stack.push(key);
        }
      }
    } else {
      out.push(String(value));
    }
  }
}

/** A stored span: its body (the record, without its resource since schema 7) and its resource's row. */
interface SpanRow {
  body: string;
  resource_id: number | null;
}

interface Facts {
  kind: string;
  name: string;
  inputTokens: number | null;
  outputTokens: number | null;
}

/**
 * The row's `body`: the record but its resource (kept once, in `resources`). Written from a literal
 * of the record's fields, not a copy by rest (`{ resource, ...stored }`), which V8 makes key by key
 * through the runtime: a fifth of the body's cost. An absent optional field is left out by JSON.
 */
function storedBody(span: SpanRecord): string {
  return JSON.stringify({
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    status: span.status,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    scope: span.scope,
  });
}

function spanFacts(span: SpanRecord): Facts {
  const { inputTokens, outputTokens } = spanTokens(span);
  return { kind: stepKind(span), name: stepName(span), inputTokens: inputTokens ?? null, outputTokens: outputTokens ?? null };
}

interface RunRow {
  run_id: string;
  trace_id: string;
  agent: string;
  status: RunStatus;
  start_us: number;
  end_us: number;
  steps: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  replay_of: string | null;
}

/** The columns of a {@link RunRow}, as every query of runs selects them. */
const RUN_COLUMNS = "run_id, trace_id, agent, status, start_us, end_us, steps, errors, input_tokens, output_tokens, replay_of";

/**
 * The page size of a new store file (SQLite's default is 4 KiB). A span row is about 1 KB with
 * four index entries, and each page a commit dirties is a frame written to the WAL and later
 * copied into the file by a checkpoint. Measured interleaved with 4 KiB pages (three runs each,
 * 2026-12-01): 5,000-span batches of the collector bench's spans into a file store 103–113 ms
 * against 139–155 ms; the collector bench (in memory) 0.28–0.31× `JSON.parse` from JSON against
 * 0.27–0.29×, 0.44–0.46× from protobuf against 0.39–0.41×; 1,000,000 small spans 90k spans/s
 * against 83k; the dashboard's queries at 100,000 runs as fast or faster (GET /insights 419 ms
 * against 474). A store made with another page size keeps it.
 */
const PAGE_BYTES = 32768;

/** WAL bytes written between automatic checkpoints: SQLite's default, 1,000 pages of 4 KiB. */
const WAL_CHECKPOINT_BYTES = 1000 * 4096;

/** How long a write waits for another connection's lock before failing with STORE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** The embedded store: SQLite through better-sqlite3, WAL mode, one writer. */
export class SqliteStore implements TraceStore, TraceQueries {
  readonly path: string;
  private readonly db: Db;
  private readonly insertSpan: Statement;
  private readonly insertResource: Statement;
  private readonly resourceId: Statement;
  private readonly resourceBody: Statement;
  private readonly upsertRun: Statement;
  private readonly insertRunTrace: Statement;
  private readonly nameRunFromStart: Statement;
  private readonly payloadBody: Statement;
  private readonly setRoot: Statement;
  private readonly insertText: Statement;
  private readonly textWatermark: Statement;
  private readonly setTextWatermark: Statement;
  private readonly unindexedSpans: Statement;
  private readonly lastSpanRowid: Statement;
  /** Indexes the search text of up to N spans past the watermark, in one immediate transaction; returns how many. */
  private readonly indexSlice: (limit: number) => number;
  private indexTimer: NodeJS.Timeout | undefined;
  private lastIngestMs = 0;
  private readonly ingestBatch: (spans: readonly SpanRecord[]) => IngestResult;
  /** The queries' statements, prepared once each (their SQL texts are a fixed set: values are always bound, never written in). */
  private readonly statements = new Map<string, Statement>();

  constructor(options: SqliteStoreOptions = {}) {
    this.path = resolveDbPath(options.path);
    let db: Db | undefined;
    try {
      if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
      db = new Database(this.path);
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // Takes effect only in a file with no tables yet (a WAL file keeps the size it was made with).
      db.pragma(`page_size = ${PAGE_BYTES}`);
      db.pragma("journal_mode = WAL");
      // SQLite checkpoints every 1,000 pages written: with larger pages, every 32 MB of WAL, one
      // batch paying for copying all of it back (a load test's ingest p99 went 12 → 34 ms). The
      // same 4 MB as SQLite's default at 4 KiB pages, whatever this file's page size.
      db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(WAL_CHECKPOINT_BYTES / (db.pragma("page_size", { simple: true }) as number)))}`);
      db.pragma("synchronous = NORMAL");
      migrate(db, this.path);
    } catch (cause) {
      db?.close();
      // Our own refusals (a schema too new, a migration that could not get the lock) say what to do already.
      if (cause instanceof StoreError) throw cause;
      throw new StoreError("STORE_OPEN_FAILED", `Cannot open the trace store at ${this.path}: ${(cause as Error).message}. Check the path (TRACEWRIGHT_DB) and its permissions.`, { cause });
    }
    this.db = db;
    // Unicode lower case, for short text queries (listRuns): SQLite's own lower() knows ASCII only.
    this.db.function("tw_lower", { deterministic: true }, (text: unknown) => (typeof text === "string" ? text.toLowerCase() : text));
    const prepare = (sql: string): Statement => this.db.prepare(sql);
    this.insertSpan = prepare(
      `INSERT INTO spans (trace_id, span_id, run_id, parent_span_id, start_us, end_us, status_code, step_key, body, kind, name, input_tokens, output_tokens, resource_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    // Of any connection: inserted if new, then read back (a second collector may have just written it).
    this.insertResource = prepare(`INSERT INTO resources (body) VALUES (?) ON CONFLICT (body) DO NOTHING`);
    this.resourceId = prepare(`SELECT id FROM resources WHERE body = ?`).pluck();
    this.resourceBody = prepare(`SELECT body FROM resources WHERE id = ?`).pluck();
    this.insertText = prepare(`INSERT INTO run_text (run_id, body) VALUES (?, ?)`);
    this.upsertRun = prepare(
      `INSERT INTO runs (run_id, trace_id, start_us, end_us, steps, errors, agent, input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET
         agent = CASE WHEN agent = '' THEN excluded.agent ELSE agent END,
         start_us = min(start_us, excluded.start_us),
         end_us = max(end_us, excluded.end_us),
         steps = steps + excluded.steps,
         errors = errors + excluded.errors,
         input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens`,
    );
    this.payloadBody = prepare(`SELECT body FROM payloads WHERE hash = ?`).pluck();
    this.nameRunFromStart = prepare(`UPDATE runs SET agent = ? WHERE run_id = ? AND root_rank IS NULL`);
    this.insertRunTrace = prepare(`INSERT INTO run_traces (run_id, trace_id) VALUES (?, ?) ON CONFLICT DO NOTHING`);
    this.setRoot = prepare(SET_ROOT);
    // One upsert per run per batch, not per span. The run's search text is not built here: see indexText.
    this.ingestBatch = this.db.transaction((spans: readonly SpanRecord[]) => {
      let inserted = 0;
      const touched = new Map<string, { traceId: string; traces: Set<string>; agent: string; startUs: number; endUs: number; steps: number; errors: number; inputTokens: number; outputTokens: number }>();
      // Root updates, applied once the batch's runs exist. This batch's own: a batch that fails
      // leaves nothing for the next to apply (a root it never stored).
      const rootUpdates: unknown[][] = [];
      const runStartAgents: unknown[][] = [];
      // The batch's resources' ids: by object (a decoded body's spans share their resource's), else
      // by text. A redelivered span's resource is looked up too, before the span is found stored:
      // a resource only such spans had stays in the table, unreferenced (a row per distinct resource).
      const resourceIds = new Map<Attributes, number>();
      const idsByText = new Map<string, number>();
      const resourceIdOf = (resource: Attributes): number => {
        let id = resourceIds.get(resource);
        if (id !== undefined) return id;
        const text = JSON.stringify(resource);
        id = idsByText.get(text);
        if (id === undefined) {
          this.insertResource.run(text);
          id = this.resourceId.get(text) as number;
          idsByText.set(text, id);
        }
        resourceIds.set(resource, id);
        return id;
      };
      for (const span of spans) {
        const d = derive(span);
        const f = spanFacts(span);
        const info = this.insertSpan.run(span.traceId, span.spanId, d.runId, span.parentSpanId ?? null, d.startUs, d.endUs, span.status.code, d.stepKey, storedBody(span), f.kind, f.name, f.inputTokens, f.outputTokens, resourceIdOf(span.resource ?? {}));
        if (info.changes === 0) continue;
        inserted++;
        let run = touched.get(d.runId);
        // Until its root arrives, a running run is named by the first segment of its step keys.
        if (run === undefined) touched.set(d.runId, (run = { traceId: span.traceId, traces: new Set(), agent: d.agent, startUs: d.startUs, endUs: d.endUs, steps: 0, errors: 0, inputTokens: 0, outputTokens: 0 }));
        run.startUs = Math.min(run.startUs, d.startUs);
        run.endUs = Math.max(run.endUs, d.endUs);
        // Every trace the run has spans in, its run-start span's too: how getRunSpans finds them.
        run.traces.add(span.traceId);
        // A run-start span makes the run (agent, start, running) but is not one of its steps.
        if (d.runStart) {
          // Its agent names the run until the root arrives, whatever span of the run was stored
          // first (a continued run-start names the run's agent too: its key's first segment).
          runStartAgents.push([d.agent, d.runId]);
          continue;
        }
        run.steps++;
        if (span.status.code === 2) run.errors++;
        run.inputTokens += f.inputTokens ?? 0;
        run.outputTokens += f.outputTokens ?? 0;
        if (d.rootRank !== RootRank.NONE) rootUpdates.push(setRootArgs(d.runId, span.traceId, span.spanId, d.startUs, span.status.code, d));
      }
      for (const [runId, run] of touched) {
        this.upsertRun.run(runId, run.traceId, run.startUs, run.endUs, run.steps, run.errors, run.agent, run.inputTokens, run.outputTokens);
        for (const traceId of run.traces) this.insertRunTrace.run(runId, traceId);
      }
      for (const args of runStartAgents) this.nameRunFromStart.run(...args);
      for (const args of rootUpdates) this.setRoot.run(...args);
      return { inserted, duplicates: spans.length - inserted };
    });
    this.textWatermark = prepare(`SELECT value FROM store_meta WHERE key = 'text_indexed_rowid'`).pluck();
    this.setTextWatermark = prepare(`UPDATE store_meta SET value = ? WHERE key = 'text_indexed_rowid'`);
    this.unindexedSpans = prepare(`SELECT rowid AS id, run_id, body FROM spans WHERE rowid > ? ORDER BY rowid LIMIT ?`);
    this.lastSpanRowid = prepare(`SELECT coalesce(max(rowid), 0) FROM spans`).pluck();
    // One search-text row per run per slice, not per span.
    const slice = this.db.transaction((limit: number): number => {
      const rows = this.unindexedSpans.all(this.textWatermark.get() as number, limit) as { id: number; run_id: string; body: string }[];
      if (rows.length === 0) return 0;
      const byRun = new Map<string, string[]>();
      for (const row of rows) {
        let text: string;
        try {
          text = searchText(JSON.parse(row.body) as SpanRecord, (ref) => this.payloadBody.get(ref) as string | undefined);
        } catch {
          // A row that is no span record (stored through the public ingest by other code): no text,
          // rather than a slice that fails for ever and leaves every later span unsearchable.
          continue;
        }
        if (text === "") continue;
        const texts = byRun.get(row.run_id);
        if (texts === undefined) byRun.set(row.run_id, [text]);
        else texts.push(text);
      }
      for (const [runId, texts] of byRun) this.insertText.run(runId, texts.join("\n"));
      this.setTextWatermark.run((rows[rows.length - 1] as { id: number }).id);
      return rows.length;
    });
    // Immediate: the write lock is taken before the watermark is read, so two connections never index the same spans.
    this.indexSlice = (limit) => slice.immediate(limit);
    // Text a previous process stored but did not index yet.
    this.scheduleIndexing(0);
  }

  /**
   * Brings the run search index up to date with every stored span, now. Text queries call it
   * first, so a search always sees every span stored, whichever connection stored it.
   *
   * Why the index is not written at ingest: building a span's search text and its trigram FTS5
   * row cost about four times storing the span, so an agent exporting 1 KB states at
   * 10,000 steps/s outran the collector. Ingest stores spans and answers; the index catches up
   * in the background (slices of {@link INDEX_SLICE_SPANS} spans, spaced while batches keep
   * arriving), and entirely before a text query.
   */
  indexText(): void {
    this.cancelIndexing();
    // Nothing to index: a plain read, so a search never takes the write lock for nothing.
    if ((this.textWatermark.get() as number) >= (this.lastSpanRowid.get() as number)) return;
    while (this.indexSlice(INDEX_DRAIN_SPANS) === INDEX_DRAIN_SPANS);
  }

  private cancelIndexing(): void {
    if (this.indexTimer !== undefined) clearTimeout(this.indexTimer);
    this.indexTimer = undefined;
  }

  private scheduleIndexing(delayMs: number): void {
    if (this.indexTimer !== undefined || !this.db.open) return;
    this.indexTimer = setTimeout(() => {
      this.indexTimer = undefined;
      this.indexInBackground();
    }, delayMs);
    // Pending text must not keep a finished program alive: the next writer, or a text query, indexes it.
    this.indexTimer.unref();
  }

  private indexInBackground(): void {
    if (!this.db.open) return;
    let indexed: number;
    try {
      // Never wait for another connection's lock here (busy_timeout blocks the event loop): come back later.
      this.db.pragma("busy_timeout = 0");
      indexed = this.indexSlice(INDEX_SLICE_SPANS);
    } catch {
      // Locked by another connection (or the store is closing): the spans are stored, only their search text waits.
      this.scheduleIndexing(1000);
      return;
    } finally {
      if (this.db.open) this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    if (indexed === INDEX_SLICE_SPANS) this.scheduleIndexing(Date.now() - this.lastIngestMs < INDEX_BUSY_DELAY_MS ? INDEX_BUSY_DELAY_MS : 0);
  }

  async ingest(spans: readonly SpanRecord[]): Promise<IngestResult> {
    try {
      const result = this.ingestBatch(spans);
      this.lastIngestMs = Date.now();
      if (result.inserted > 0) this.scheduleIndexing(INDEX_BUSY_DELAY_MS);
      return result;
    } catch (cause) {
      throw this.writeFailed(`${spans.length} spans`, cause);
    }
  }

  /** A failed write as a StoreError: another process holding the write lock (e.g. a BEGIN EXCLUSIVE) is a failure that passes, said so. */
  private writeFailed(what: string, cause: unknown): StoreError {
    if (isLockError(cause)) {
      return new StoreError("STORE_BUSY", `Writing ${what} to ${this.path} failed: the database is locked by another connection for longer than the ${BUSY_TIMEOUT_MS} ms busy timeout. Nothing was written; retry once the lock is released.`, { cause });
    }
    return new StoreError("STORE_WRITE_FAILED", `Writing ${what} to ${this.path} failed: ${(cause as Error).message}`, { cause });
  }

  private statement(sql: string): Statement {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) this.statements.set(sql, (prepared = this.db.prepare(sql)));
    return prepared;
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    const limit = pageSize(query.limit);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.status !== undefined) {
      where.push("status = ?");
      params.push(query.status);
    }
    if (query.agent !== undefined) {
      where.push("agent = ?");
      params.push(query.agent);
    }
    if (query.startedAfter !== undefined) {
      where.push("start_us >= ?");
      params.push(isoToMicros(query.startedAfter, "startedAfter"));
    }
    if (query.minDurationMs !== undefined) {
      if (!Number.isFinite(query.minDurationMs) || query.minDurationMs < 0) {
        throw new StoreError("STORE_BAD_QUERY", `minDurationMs must be a number of milliseconds, 0 or more; got ${String(query.minDurationMs)}.`);
      }
      where.push("duration_us >= ?");
      params.push(Math.ceil(query.minDurationMs * 1000));
    }
    if (query.hasErrors !== undefined) where.push(query.hasErrors ? "errors > 0" : "errors = 0");
    const text = query.text?.trim() ?? "";
    // The index's query parser reads a phrase as C text, which ends at a NUL ("unterminated string").
    if (text.includes("\0")) throw new StoreError("STORE_BAD_QUERY", `text must not contain the NUL character (U+0000); got ${JSON.stringify(text)}.`);
    if (text !== "") {
      try {
        this.indexText();
      } catch {
        // Another connection holds the write lock past the busy timeout: search what is indexed
        // so far (that connection, or the next slice, indexes the rest).
      }
      // A run's own id, or the start of it (the short id the dashboard shows), finds the run too.
      const byId = "substr(run_id, 1, ?) = ?";
      const idParams = [text.length, text];
      // Three characters or more: a trigram phrase match through the index. Shorter: a scan.
      if ([...text].length >= 3) {
        where.push(`(${byId} OR run_id IN (SELECT run_id FROM run_text WHERE run_text MATCH ?))`);
        params.push(...idParams, `"${text.replaceAll('"', '""')}"`);
      } else if (!/[^\p{ASCII}]/u.test(text)) {
        // SQLite's lower() folds ASCII letters only: enough for a query of ASCII alone.
        where.push(`(${byId} OR run_id IN (SELECT run_id FROM run_text WHERE instr(lower(body), ?) > 0))`);
        params.push(...idParams, text.toLowerCase());
      } else {
        // Other scripts are folded as the trigram index folds them ("ü" finds "Über", "σα" "ΣΑΣ").
        where.push(`(${byId} OR run_id IN (SELECT run_id FROM run_text WHERE instr(tw_lower(body), ?) > 0))`);
        params.push(...idParams, text.toLowerCase());
      }
    }
    const sort = query.sort ?? "start";
    const order = query.order ?? "desc";
    if (sort !== "start" && sort !== "duration") throw new StoreError("STORE_BAD_QUERY", `sort must be "start" or "duration"; got ${JSON.stringify(sort)}.`);
    if (order !== "asc" && order !== "desc") throw new StoreError("STORE_BAD_QUERY", `order must be "asc" or "desc"; got ${JSON.stringify(order)}.`);
    const column = sort === "start" ? "start_us" : "duration_us";
    if (query.cursor !== undefined) {
      const cursor = decodeSortCursor(query.cursor, sort, order);
      where.push(`(${column}, run_id) ${order === "desc" ? "<" : ">"} (?, ?)`);
      params.push(cursor.value, cursor.runId);
    }
    const direction = order === "desc" ? "DESC" : "ASC";
    const sql = `SELECT ${RUN_COLUMNS} FROM runs
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${column} ${direction}, run_id ${direction} LIMIT ?`;
    const rows = this.statement(sql).all(...params, limit + 1) as RunRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      runs: page.map(toSummary),
      ...(rows.length > limit && last !== undefined
        ? { nextCursor: encodeSortCursor({ sort, order, value: sort === "start" ? last.start_us : last.end_us - last.start_us, runId: last.run_id }) }
        : {}),
    };
  }

  async listAgents(): Promise<string[]> {
    const rows = this.statement(`SELECT DISTINCT agent FROM runs WHERE agent <> '' ORDER BY agent`).all() as { agent: string }[];
    return rows.map((row) => row.agent);
  }

  async getRunSpan(runId: string, spanId: string): Promise<SpanRecord | undefined> {
    // One lookup of (trace id, span id) per trace of the run (usually one): see migrations 5 and 10.
    const row = this.statement(`SELECT body, resource_id FROM spans WHERE trace_id IN (SELECT trace_id FROM run_traces WHERE run_id = ?) AND span_id = ? AND +run_id = ? LIMIT 1`).get(runId, spanId, runId) as SpanRow | undefined;
    return row === undefined ? undefined : (await this.withPayloads(this.spansOf([row])))[0];
  }

  async runStats(query: StatsQuery = {}): Promise<RunStats> {
    const span = this.statement(`SELECT min(start_us) AS earliest, max(start_us) AS latest FROM runs`).get() as { earliest: number | null; latest: number | null };
    const { sinceUs, bucketMs, bucketUs, originUs } = statsWindow(query, span.earliest ?? undefined, span.latest ?? undefined);
    const buckets = bucketTable(originUs, bucketUs);
    // Replays are left out unless asked for: of runs, in SQL; of steps, subtracted below.
    const replays = query.replays === true ? 1 : 0;
    const runRows = this.statement(`SELECT CAST((start_us - ?) / ? AS INTEGER) AS b, status, count(*) AS n FROM runs WHERE start_us >= ? AND (? OR replay_of IS NULL) GROUP BY b, status`)
      .all(originUs, bucketUs, sinceUs, replays) as { b: number; status: RunStatus; n: number }[];
    let runs = 0;
    let errors = 0;
    for (const row of runRows) {
      buckets.at(row.b)[row.status] += row.n;
      runs += row.n;
      if (row.status === "error") errors += row.n;
    }
    const tokenRows = this.statement(
        `SELECT CAST((start_us - ?) / ? AS INTEGER) AS b, CAST(total(input_tokens) AS INTEGER) AS i, CAST(total(output_tokens) AS INTEGER) AS o FROM spans
         WHERE (input_tokens IS NOT NULL OR output_tokens IS NOT NULL) AND start_us >= ? GROUP BY b`,
      )
      .all(originUs, bucketUs, sinceUs) as { b: number; i: number; o: number }[];
    for (const row of tokenRows) {
      const b = buckets.at(row.b);
      b.inputTokens += row.i;
      b.outputTokens += row.o;
    }
    // Each name's durations come as one JSON array (json_group_array), not a row each: a million
    // spans in the window cost one JSON.parse per name instead of a million row objects (half the
    // time, measured at 1,000,000 spans).
    const latency: LatencyStat[] = [];
    const agentRows = this.statement(
      `SELECT agent AS name, sum(status = 'error') AS errors, json_group_array(end_us - start_us) AS durations FROM runs WHERE start_us >= ? AND status <> 'running' AND (? OR replay_of IS NULL) GROUP BY agent`,
    ).all(sinceUs, replays) as GroupRow[];
    latency.push(...latencyOfGroups("agent", agentRows.map(groupOf)));
    // The steps of replayed runs, to take out of the aggregates the covering indexes answer
    // without reading a span's run (a replay's spans: a run of every step, at most). In this order
    // (CROSS JOIN): the few replays first, then their traces' spans, never a scan of spans.
    const replayed = replays === 1 ? [] : (this.statement(
      `SELECT s.kind, coalesce(s.name, '') AS name, s.start_us AS startUs, s.end_us - s.start_us AS durationUs, s.status_code = 2 AS failed, s.input_tokens AS i, s.output_tokens AS o
       FROM runs r CROSS JOIN run_traces t ON t.run_id = r.run_id CROSS JOIN spans s ON s.trace_id = t.trace_id AND +s.run_id = r.run_id
       WHERE r.replay_of IS NOT NULL AND r.end_us >= ? AND s.start_us >= ?`,
    ).all(sinceUs, sinceUs) as { kind: string | null; name: string; startUs: number; durationUs: number; failed: number; i: number | null; o: number | null }[]);
    for (const step of replayed) {
      if (step.i === null && step.o === null) continue;
      const b = buckets.at(Math.trunc((step.startUs - originUs) / bucketUs));
      b.inputTokens -= step.i ?? 0;
      b.outputTokens -= step.o ?? 0;
    }
    for (const kind of ["node", "tool", "llm"] as const) {
      const rows = this.statement(
        `SELECT coalesce(name, '') AS name, sum(status_code = 2) AS errors, json_group_array(end_us - start_us) AS durations FROM spans WHERE kind = ? AND start_us >= ? GROUP BY coalesce(name, '')`,
      ).all(kind, sinceUs) as GroupRow[];
      latency.push(...latencyOfGroups(kind, withoutSteps(rows.map(groupOf), replayed.filter((step) => step.kind === kind))));
    }
    const replayRuns = (this.statement(`SELECT count(*) AS n FROM runs WHERE replay_of IS NOT NULL AND start_us >= ?`).get(sinceUs) as { n: number }).n;
    return {
      // A bucket that held a replay's tokens alone is left out, as one that never held any.
      buckets: buckets.inOrder().filter((b) => b.ok + b.error + b.running > 0 || b.inputTokens !== 0 || b.outputTokens !== 0),
      bucketMs,
      latency,
      totals: { runs, errors },
      replays: replayRuns,
    };
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    const row = this.statement(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`).get(runId) as RunRow | undefined;
    return row === undefined ? undefined : toSummary(row);
  }

  async getRunSpans(runId: string): Promise<SpanRecord[]> {
    // Through the run's traces (usually one; migration 10), sorted here: a trace's spans come out of
    // the unique index in span id order. `+run_id` keeps a trace's other runs' spans out.
    const rows = this.statement(`SELECT body, resource_id FROM spans WHERE trace_id IN (SELECT trace_id FROM run_traces WHERE run_id = ?) AND +run_id = ? ORDER BY start_us, rowid`).all(runId, runId) as SpanRow[];
    return this.withPayloads(this.spansOf(rows));
  }

  /**
   * Span rows as records, each with its resource: its body's own (a row stored before schema 7),
   * or its `resources` row, parsed once per call and shared by the spans that name it.
   */
  private spansOf(rows: readonly SpanRow[]): SpanRecord[] {
    const resources = new Map<number, Attributes>();
    return rows.map((row) => {
      const span = JSON.parse(row.body) as SpanRecord;
      if (row.resource_id === null) return span;
      let resource = resources.get(row.resource_id);
      if (resource === undefined) {
        const body = this.resourceBody.get(row.resource_id) as string | undefined;
        resource = body === undefined ? {} : (JSON.parse(body) as Attributes);
        resources.set(row.resource_id, resource);
      }
      span.resource = resource;
      return span;
    });
  }

  /** Spans with every state sent by reference resolved whole from `payloads` (see payloads.ts). */
  private withPayloads(spans: SpanRecord[]): Promise<SpanRecord[]> {
    return resolvePayloads(spans, (hash) => this.getPayload(hash));
  }

  async putPayload(hash: string, body: string): Promise<void> {
    try {
      this.statement(`INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(hash, body);
    } catch (cause) {
      throw this.writeFailed(`payload ${hash}`, cause);
    }
  }

  async getPayload(hash: string): Promise<string | undefined> {
    return this.payloadBody.get(hash) as string | undefined;
  }

  async healthy(): Promise<boolean> {
    try {
      this.statement("BEGIN IMMEDIATE").run();
      this.statement("ROLLBACK").run();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.cancelIndexing();
    if (this.db.open) this.db.close();
  }
}

/** Another connection holds the lock (SQLITE_BUSY, SQLITE_LOCKED and their extended codes): a failure that passes. */
function isLockError(cause: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(String((cause as { code?: unknown }).code));
}

/** Opens (creating and migrating) the embedded store. */
export function openSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}

/**
 * How long opening a store that needs migrating waits for the write lock. Another process may be
 * migrating the same file (the collector and the dashboard, or two collectors, started together
 * after an upgrade), and a migration that backfills takes far longer than the 5 s busy timeout:
 * migration 2 takes about 23 s at 300,000 spans. Waiting is right: the store cannot be used
 * before the file is migrated, and the second opener then finds the work done.
 */
export const MIGRATION_WAIT_MS = 120_000;

function migrate(db: Db, path: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StoreError("STORE_SCHEMA_TOO_NEW", `The database has schema version ${current}, newer than this Tracewright knows (${MIGRATIONS.length}). Upgrade Tracewright or point TRACEWRIGHT_DB elsewhere.`);
  }
  if (current === MIGRATIONS.length) return;
  db.pragma(`busy_timeout = ${MIGRATION_WAIT_MS}`);
  try {
    for (let version = current; version < MIGRATIONS.length; version++) {
      // Immediate, and the version read again under the write lock: two processes opening the same
      // old file at once apply each migration once (the second finds it applied).
      db.transaction(() => {
        if ((db.pragma("user_version", { simple: true }) as number) !== version) return;
        const migration = MIGRATIONS[version] as string | ((db: Db) => void);
        if (typeof migration === "string") db.exec(migration);
        else migration(db);
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
    }
  } catch (cause) {
    if (isLockError(cause)) {
      throw new StoreError(
        "STORE_BUSY",
        `Cannot open the trace store at ${path}: it needs migrating from schema version ${current} to ${MIGRATIONS.length}, and another connection held its write lock for over ${MIGRATION_WAIT_MS / 1000} s (another process migrating a large store, or a long write). Nothing was changed; open it again once that process is done.`,
        { cause },
      );
    }
    throw cause;
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

function toSummary(row: RunRow): RunSummary {
  return {
    runId: row.run_id,
    traceId: row.trace_id,
    agent: row.agent,
    status: row.status,
    startTime: new Date(Math.floor(row.start_us / 1000)).toISOString(),
    durationMs: Math.max(0, (row.end_us - row.start_us) / 1000),
    steps: row.steps,
    errors: row.errors,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    ...(row.replay_of === null ? {} : { replayOf: row.replay_of }),
  };
}

interface GroupRow {
  name: string;
  errors: number;
  /** A JSON array of durations in µs. */
  durations: string;
}

/** A latency group as `latencyOfGroups` takes it (stats.ts: the same nearest-rank rule as the CloudWatch reader). */
function groupOf(row: GroupRow): { name: string; durationsUs: number[]; errors: number } {
  return { name: row.name, durationsUs: JSON.parse(row.durations) as number[], errors: row.errors };
}

/** Latency groups with some of their steps taken out (each by name, duration and failure); a group left with none is dropped. */
function withoutSteps(groups: { name: string; durationsUs: number[]; errors: number }[], steps: readonly { name: string; durationUs: number; failed: number }[]): { name: string; durationsUs: number[]; errors: number }[] {
  if (steps.length === 0) return groups;
  const byName = new Map<string, { durationsUs: number[]; failed: number }>();
  for (const step of steps) {
    let out = byName.get(step.name);
    if (out === undefined) byName.set(step.name, (out = { durationsUs: [], failed: 0 }));
    out.durationsUs.push(step.durationUs);
    if (step.failed) out.failed++;
  }
  return groups.flatMap((group) => {
    const out = byName.get(group.name);
    if (out === undefined) return [group];
    // One occurrence of each duration taken out, both lists sorted.
    const all = group.durationsUs.sort((a, b) => a - b);
    const gone = out.durationsUs.sort((a, b) => a - b);
    const kept: number[] = [];
    let j = 0;
    for (const d of all) {
      while (j < gone.length && (gone[j] as number) < d) j++;
      if (j < gone.length && gone[j] === d) j++;
      else kept.push(d);
    }
    return kept.length === 0 ? [] : [{ name: group.name, durationsUs: kept, errors: Math.max(0, group.errors - out.failed) }];
  });
}
