import "server-only";
import { existsSync, readFileSync } from "node:fs";
import { openSqliteStore } from "@tracewright/store";
import { openCloudWatchLogsStore } from "@tracewright/store/cloudwatch";
import { resolveSource } from "../fns/source";
import type { DashboardStore, SourceConfig, StoreAccess } from "../types";

/**
 * One store per server process, opened on first use, over the source resolved once from the
 * environment (`TRACEWRIGHT_SOURCE`, see `resolveSource`). Kept on `globalThis` so that every
 * route bundle of the process shares the same connection. A missing local database is not
 * created here: the page says how to record a run, and the store is opened once the file appears.
 */
interface Holder {
  source?: SourceConfig;
  store?: DashboardStore;
}

const HOLDER = Symbol.for("tracewright.dashboard.store");
const registry = globalThis as typeof globalThis & { [HOLDER]?: Holder };

function holder(): Holder {
  return (registry[HOLDER] ??= {});
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The source this server reads, resolved on first use. Throws `DashboardConfigError` for unusable settings. */
export function currentSource(): SourceConfig {
  const h = holder();
  h.source ??= resolveSource(process.env, process.cwd(), readText);
  return h.source;
}

/**
 * The trace store for this request. Pages are rendered per request (the root layout is
 * `force-dynamic`), so nothing read from it is prerendered at build time.
 */
export async function getStore(): Promise<StoreAccess> {
  const h = holder();
  const source = currentSource();
  if (h.store !== undefined) return { state: "ready", store: h.store, source };
  if (source.kind === "cloudwatch") {
    // Region, credentials and endpoint come from the AWS SDK's own resolution (AWS_REGION, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, …).
    h.store = openCloudWatchLogsStore({ logGroupName: source.logGroup });
    return { state: "ready", store: h.store, source };
  }
  if (source.path !== ":memory:" && !existsSync(source.path)) return { state: "absent", path: source.path, source };
  h.store = openSqliteStore({ path: source.path });
  return { state: "ready", store: h.store, source };
}
