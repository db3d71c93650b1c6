import "server-only";
import { existsSync, readFileSync } from "node:fs";
import { connection } from "next/server";
import { openSqliteStore } from "@tracewright/store";
import type { DashboardStore, StoreAccess } from "../types";
import { resolveDbPath } from "../fns/db-path";


/**
 * One store per server process, opened on first use. Kept on `globalThis` so that every route
 * bundle of the process shares the same connection. A missing database is not created here:
 * the page says how to record a run, and the store is opened once the file appears.
 */
interface Holder {
  path?: string;
  store?: DashboardStore;
}

const HOLDER = Symbol.for("tracewright.dashboard.store");
const registry = globalThis as typeof globalThis & { [HOLDER]?: Holder };

function holder(): Holder {
  return (registry[HOLDER] ??= {});
}

function dbPath(): string {
  const h = holder();
  h.path ??= resolveDbPath({ envPath: process.env.TRACEWRIGHT_DB, cwd: process.cwd(), readText });
  return h.path;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The trace store for this request. Awaits `connection()` first, so that nothing read from the
 * database is ever prerendered at build time.
 */
export async function getStore(): Promise<StoreAccess> {
  await connection();
  const h = holder();
  const path = dbPath();
  if (h.store !== undefined) return { state: "ready", store: h.store, path };
  if (path !== ":memory:" && !existsSync(path)) return { state: "absent", path };
  h.store = openSqliteStore({ path });
  return { state: "ready", store: h.store, path };
}
