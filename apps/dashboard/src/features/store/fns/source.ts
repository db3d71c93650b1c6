import { TracewrightError } from "@tracewright/instrument/errors";
import { DEFAULT_LOG_GROUP, checkLogGroupName } from "@tracewright/store/cloudwatch";
import { resolveDbPath } from "./db-path";
import type { ReadText } from "./db-path";
import type { SourceConfig } from "../types";

/** The dashboard's settings could not be understood: the message says which and what to set. */
export class DashboardConfigError extends TracewrightError {}

/** The names `TRACEWRIGHT_SOURCE` takes. */
export const SOURCE_NAMES = ["store", "cloudwatch"] as const;

/**
 * The environment the source is resolved from (`process.env`, or a test's object):
 * - `TRACEWRIGHT_SOURCE`: `store` (the default: the embedded SQLite store) or `cloudwatch`;
 * - with `store`, `TRACEWRIGHT_DB`: the database file (default `.tracewright/traces.db` at the repo root);
 * - with `cloudwatch`, `TRACEWRIGHT_LOG_GROUP`: the group the collector's CloudWatch Logs sink
 *   writes (default `/tracewright/spans`), and the AWS SDK's own `AWS_REGION`,
 *   `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` (or `AWS_ENDPOINT_URL`), read here only to be shown.
 */
export type SourceEnv = Readonly<Record<string, string | undefined>>;

/**
 * Where the dashboard reads runs from, resolved once from the environment: the embedded store by
 * default, CloudWatch Logs with `TRACEWRIGHT_SOURCE=cloudwatch`. The AWS SDK resolves the region,
 * credentials and endpoint itself (`AWS_REGION`, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, profiles…);
 * they are read here only to say on the page what is read. Throws `DashboardConfigError` for a
 * source or log group that cannot be used.
 */
export function resolveSource(env: SourceEnv, cwd: string, readText: ReadText): SourceConfig {
  const name = env.TRACEWRIGHT_SOURCE?.trim().toLowerCase() ?? "";
  if (name === "" || name === "store") return { kind: "store", path: resolveDbPath({ envPath: env.TRACEWRIGHT_DB, cwd, readText }) };
  if (name !== "cloudwatch") {
    throw new DashboardConfigError("DASHBOARD_SOURCE_INVALID", `TRACEWRIGHT_SOURCE is ${JSON.stringify(env.TRACEWRIGHT_SOURCE)}; expected ${SOURCE_NAMES.join(" or ")}. Leave it unset for the local store.`);
  }
  const given = env.TRACEWRIGHT_LOG_GROUP?.trim();
  let logGroup: string;
  try {
    logGroup = checkLogGroupName(given === undefined || given === "" ? DEFAULT_LOG_GROUP : given);
  } catch (cause) {
    throw new DashboardConfigError("DASHBOARD_SOURCE_INVALID", `TRACEWRIGHT_LOG_GROUP: ${(cause as Error).message}`, { cause });
  }
  const region = env.AWS_REGION?.trim();
  const endpoint = (env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? env.AWS_ENDPOINT_URL)?.trim();
  return { kind: "cloudwatch", logGroup, ...(region === undefined || region === "" ? {} : { region }), ...(endpoint === undefined || endpoint === "" ? {} : { endpoint }) };
}

/** How the page names the source: a title and the detail that locates it. */
export function describeSource(source: SourceConfig): { title: string; detail: string } {
  if (source.kind === "store") return { title: "Local store", detail: source.path };
  const where = [source.region ?? "region from the AWS configuration", ...(source.endpoint === undefined ? [] : [source.endpoint])];
  return { title: "CloudWatch Logs", detail: `${source.logGroup} · ${where.join(" · ")}` };
}
