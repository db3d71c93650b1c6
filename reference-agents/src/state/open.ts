import { SessionStoreError } from "../errors.js";
import { dynamoDbSessionStore, s3SessionStore } from "./aws.js";
import type { SessionStore } from "./store.js";
import { fileSessionStore, memorySessionStore, sqliteSessionStore } from "./store.js";

/** The environment variable that chooses the agents' session store; see {@link openSessionStore}. */
export const SESSION_STORE_ENV = "TRACEWRIGHT_SESSION_STORE";

/** Sessions as files under the current directory, beside the trace store (`.tracewright/`). */
export const DEFAULT_SESSION_STORE = "file:.tracewright/sessions";

/**
 * Opens the session store a spec names: `file:DIR`, `sqlite:PATH`, `dynamodb:TABLE`,
 * `s3:BUCKET` or `s3:BUCKET/PREFIX`, or `memory`. Default: `TRACEWRIGHT_SESSION_STORE`, else
 * {@link DEFAULT_SESSION_STORE}. The AWS stores make their clients from the SDK's environment.
 */
export function openSessionStore(spec: string = process.env[SESSION_STORE_ENV] ?? DEFAULT_SESSION_STORE): SessionStore {
  const colon = spec.indexOf(":");
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  const where = colon === -1 ? "" : spec.slice(colon + 1);
  if (kind === "memory" && where === "") return memorySessionStore();
  if (where !== "") {
    switch (kind) {
      case "file":
        return fileSessionStore(where);
      case "sqlite":
        return sqliteSessionStore(where);
      case "dynamodb":
        return dynamoDbSessionStore({ table: where });
      case "s3": {
        const slash = where.indexOf("/");
        return slash === -1 ? s3SessionStore({ bucket: where }) : s3SessionStore({ bucket: where.slice(0, slash), prefix: where.slice(slash + 1) });
      }
    }
  }
  throw new SessionStoreError("SESSION_STORE_CONFIG", `unknown session store "${spec}" (${SESSION_STORE_ENV}); expected file:DIR, sqlite:PATH, dynamodb:TABLE, s3:BUCKET[/PREFIX] or memory`);
}
