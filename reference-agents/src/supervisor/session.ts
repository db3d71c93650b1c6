import { loadState, saveState } from "@tracewright/instrument";
import { ReferenceAgentError } from "../errors.js";
import type { SessionStore } from "../state/store.js";
import type { SupervisorSession } from "./types.js";

/** The session's state as stored, as a recorded `state` step (`state:load`); `null` for a new session. */
export async function loadSession(store: SessionStore, sessionId: string): Promise<SupervisorSession | null> {
  const loaded = await loadState(sessionId, (key) => store.load(key));
  if (loaded === null) return null;
  if (!isSession(loaded, sessionId)) {
    throw new ReferenceAgentError("SESSION_INVALID", `session "${sessionId}" in ${store.description} is not a supervisor session (expected id, threadId, status, invocations, reports)`);
  }
  return loaded;
}

/** Saves the session as a recorded `state` step (`state:save`); its output is the bytes written (the store's own count: the session is serialized once). */
export function saveSession(store: SessionStore, session: SupervisorSession): Promise<{ key: string; bytes: number }> {
  return saveState(session.id, session, async (key, state) => ({ key, bytes: await store.save(key, state) }));
}

function isSession(value: unknown, sessionId: string): value is SupervisorSession {
  const v = value as Partial<SupervisorSession> | null;
  return typeof v === "object" && v !== null && v.id === sessionId && typeof v.threadId === "string" && typeof v.status === "string" && typeof v.invocations === "number" && Array.isArray(v.reports);
}
