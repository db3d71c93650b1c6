import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { SessionStoreError } from "../errors.js";

/**
 * Where an agent keeps its session between invocations: a JSON value by key. Every backend
 * (memory, a directory of files, SQLite, DynamoDB, S3) is this interface and passes the same
 * contract suite (`test-support/session-store-contract.ts`). The agents record each load and
 * save as a `state` step (`loadState`/`saveState` of `@tracewright/instrument`), so replay
 * serves a run's sessions from the recording and never touches the store.
 */
export interface SessionStore {
  /** What backs it, with where: `file:.tracewright/sessions`, `dynamodb:sessions`, … */
  readonly description: string;
  /** The state saved under `key`, or `null` when there is none. */
  load(key: string): Promise<unknown>;
  /**
   * Saves `state` (any JSON value) under `key`, replacing what was there; resolves to the UTF-8
   * bytes of the JSON text written, so that a caller reporting the size need not serialize again.
   */
  save(key: string, state: unknown): Promise<number>;
  /** Releases what the store holds open (a database handle). */
  close(): Promise<void>;
}

/** Longest key a store accepts (DynamoDB's partition keys allow 2048 bytes; S3's keys 1024). */
export const MAX_SESSION_KEY_LENGTH = 256;

/** Checks a key: what every backend can hold as a file name, item key or object key. */
export function checkSessionKey(key: unknown): string {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_SESSION_KEY_LENGTH || hasControlCharacter(key)) {
    throw new SessionStoreError("SESSION_KEY_INVALID", `a session key must be a string of 1-${MAX_SESSION_KEY_LENGTH} characters without control characters; got ${JSON.stringify(key)}`);
  }
  return key;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The state as stored: JSON text, or a clear error for a value JSON cannot hold. */
export function encodeSessionState(key: string, state: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(state);
  } catch (error) {
    throw new SessionStoreError("SESSION_STATE_INVALID", `the state for session "${key}" is not JSON-serializable: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new SessionStoreError("SESSION_STATE_INVALID", `the state for session "${key}" is ${typeof state}, which JSON cannot hold; save null, an object or another JSON value`);
  return text;
}

/** Stored JSON text back as a value; a store holding something else says where. */
export function decodeSessionState(where: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SessionStoreError("SESSION_STORE_FAILED", `${where} does not hold JSON (${(error as Error).message}); it was not written by a session store, or was corrupted`, { cause: error });
  }
}

/** Sessions in memory: for tests and one-process runs. Stores share what they are given. */
export function memorySessionStore(entries: Map<string, string> = new Map()): SessionStore {
  return {
    description: "memory",
    async load(key) {
      const text = entries.get(checkSessionKey(key));
      return text === undefined ? null : decodeSessionState(`memory session "${key}"`, text);
    },
    async save(key, state) {
      checkSessionKey(key);
      const text = encodeSessionState(key, state);
      entries.set(key, text);
      return Buffer.byteLength(text);
    },
    async close() {},
  };
}

/** Longest percent-encoded key used as a file name as it is (with room for `.json` and a temporary suffix). */
const MAX_FILE_NAME = 200;

/**
 * Sessions as JSON files in a directory, one per key (the key percent-encoded as the file
 * name, or its sha256 when that is too long), written to a temporary file and renamed over the old one so a reader never sees half.
 */
export function fileSessionStore(directory: string): SessionStore {
  const dir = resolve(directory);
  const pathOf = (key: string): string => {
    const encoded = encodeURIComponent(checkSessionKey(key)).replaceAll(".", "%2E");
    // File names end at 255 bytes; a long key is named by its hash (`#` never appears encoded).
    return join(dir, `${encoded.length <= MAX_FILE_NAME ? encoded : `#sha256-${createHash("sha256").update(key).digest("hex")}`}.json`);
  };
  return {
    description: `file:${directory}`,
    async load(key) {
      const path = pathOf(key);
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw new SessionStoreError("SESSION_STORE_FAILED", `cannot read session "${key}" from ${path}: ${(error as Error).message}`, { cause: error });
      }
      return decodeSessionState(path, text);
    },
    async save(key, state) {
      const path = pathOf(key);
      const text = encodeSessionState(key, state);
      try {
        mkdirSync(dirname(path), { recursive: true });
        const temporary = `${path}.${process.pid}.tmp`;
        writeFileSync(temporary, text);
        renameSync(temporary, path);
      } catch (error) {
        throw new SessionStoreError("SESSION_STORE_FAILED", `cannot write session "${key}" to ${path}: ${(error as Error).message}`, { cause: error });
      }
      return Buffer.byteLength(text);
    },
    async close() {},
  };
}

/** Sessions in a SQLite table `sessions (key TEXT PRIMARY KEY, state TEXT)`; `:memory:` works. */
export function sqliteSessionStore(path: string): SessionStore {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, state TEXT NOT NULL)");
  const select = db.prepare<[string], { state: string }>("SELECT state FROM sessions WHERE key = ?");
  const upsert = db.prepare<[string, string]>("INSERT INTO sessions (key, state) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state");
  return {
    description: `sqlite:${path}`,
    async load(key) {
      const row = select.get(checkSessionKey(key));
      return row === undefined ? null : decodeSessionState(`session "${key}" in ${path}`, row.state);
    },
    async save(key, state) {
      checkSessionKey(key);
      const text = encodeSessionState(key, state);
      upsert.run(key, text);
      return Buffer.byteLength(text);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
