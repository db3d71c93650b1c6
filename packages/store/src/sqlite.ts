import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Database as Db, Statement } from "better-sqlite3";
import { derive } from "./derive.js";
import { StoreError } from "./errors.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import type { IngestResult, RunPage, RunQuery, RunStatus, RunSummary, SpanRecord, TraceStore } from "./types.js";

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
 * lives in `PRAGMA user_version`. Append, never edit, a migration that has shipped.
 */
const MIGRATIONS: readonly string[] = [
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
];

interface RunRow {
  run_id: string;
  trace_id: string;
  agent: string;
  status: RunStatus;
  start_us: number;
  end_us: number;
  steps: number;
  errors: number;
  replay_of: string | null;
}

/** The embedded store: SQLite through better-sqlite3, WAL mode, one writer. */
export class SqliteStore implements TraceStore {
  readonly path: string;
  private readonly db: Db;
  private readonly insertSpan: Statement;
  private readonly upsertRun: Statement;
  private readonly setRoot: Statement;
  private readonly ingestBatch: (spans: readonly SpanRecord[]) => IngestResult;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = resolveDbPath(options.path);
    try {
      if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
      this.db = new Database(this.path);
      this.db.pragma("busy_timeout = 5000");
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      migrate(this.db);
    } catch (cause) {
      throw new StoreError("STORE_OPEN_FAILED", `Cannot open the trace store at ${this.path}: ${(cause as Error).message}. Check the path (TRACEWRIGHT_DB) and its permissions.`, { cause });
    }
    const prepare = (sql: string): Statement => this.db.prepare(sql);
    this.insertSpan = prepare(
      `INSERT INTO spans (trace_id, span_id, run_id, parent_span_id, start_us, end_us, status_code, step_key, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.upsertRun = prepare(
      `INSERT INTO runs (run_id, trace_id, start_us, end_us, steps, errors) VALUES (?, ?, ?, ?, 1, ?)
       ON CONFLICT (run_id) DO UPDATE SET
         start_us = min(start_us, excluded.start_us),
         end_us = max(end_us, excluded.end_us),
         steps = steps + 1,
         errors = errors + excluded.errors`,
    );
    // Among parentless spans of a run, the earliest is its root: it names the run and ends it.
    this.setRoot = prepare(
      `UPDATE runs SET trace_id = ?, agent = ?, status = ?, root_span_id = ?, root_start_us = ?, replay_of = ?
       WHERE run_id = ? AND (root_start_us IS NULL OR root_start_us >= ?)`,
    );
    this.ingestBatch = this.db.transaction((spans: readonly SpanRecord[]) => {
      let inserted = 0;
      for (const span of spans) {
        const d = derive(span);
        const info = this.insertSpan.run(span.traceId, span.spanId, d.runId, span.parentSpanId ?? null, d.startUs, d.endUs, span.status.code, d.stepKey, JSON.stringify(span));
        if (info.changes === 0) continue;
        inserted++;
        this.upsertRun.run(d.runId, span.traceId, d.startUs, d.endUs, span.status.code === 2 ? 1 : 0);
        if (d.root) this.setRoot.run(span.traceId, d.agent, span.status.code === 2 ? "error" : "ok", span.spanId, d.startUs, d.replayOf, d.runId, d.startUs);
      }
      return { inserted, duplicates: spans.length - inserted };
    });
  }

  async ingest(spans: readonly SpanRecord[]): Promise<IngestResult> {
    try {
      return this.ingestBatch(spans);
    } catch (cause) {
      throw new StoreError("STORE_WRITE_FAILED", `Writing ${spans.length} spans to ${this.path} failed: ${(cause as Error).message}`, { cause });
    }
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    const limit = Math.max(1, Math.min(query.limit ?? 50, 1000));
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
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor);
      where.push("(start_us, run_id) < (?, ?)");
      params.push(cursor.startUs, cursor.runId);
    }
    const sql = `SELECT run_id, trace_id, agent, status, start_us, end_us, steps, errors, replay_of FROM runs
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY start_us DESC, run_id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, limit + 1) as RunRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      runs: page.map(toSummary),
      ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor({ startUs: last.start_us, runId: last.run_id }) } : {}),
    };
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    const row = this.db.prepare(`SELECT run_id, trace_id, agent, status, start_us, end_us, steps, errors, replay_of FROM runs WHERE run_id = ?`).get(runId) as RunRow | undefined;
    return row === undefined ? undefined : toSummary(row);
  }

  async getRunSpans(runId: string): Promise<SpanRecord[]> {
    const rows = this.db.prepare(`SELECT body FROM spans WHERE run_id = ? ORDER BY start_us, rowid`).all(runId) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as SpanRecord);
  }

  async putPayload(hash: string, body: string): Promise<void> {
    this.db.prepare(`INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(hash, body);
  }

  async getPayload(hash: string): Promise<string | undefined> {
    const row = this.db.prepare(`SELECT body FROM payloads WHERE hash = ?`).get(hash) as { body: string } | undefined;
    return row?.body;
  }

  async healthy(): Promise<boolean> {
    try {
      this.db.prepare("BEGIN IMMEDIATE").run();
      this.db.prepare("ROLLBACK").run();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating) the embedded store. */
export function openSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StoreError("STORE_SCHEMA_TOO_NEW", `The database has schema version ${current}, newer than this Tracewright knows (${MIGRATIONS.length}). Upgrade Tracewright or point TRACEWRIGHT_DB elsewhere.`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
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
    ...(row.replay_of === null ? {} : { replayOf: row.replay_of }),
  };
}
