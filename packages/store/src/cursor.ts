import { StoreError } from "./errors.js";

/** A position in the newest-first run list: opaque to callers. */
export interface RunCursor {
  startUs: number;
  runId: string;
}

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(`${cursor.startUs}:${cursor.runId}`, "utf8").toString("base64url");
}

export function decodeCursor(text: string): RunCursor {
  const decoded = Buffer.from(text, "base64url").toString("utf8");
  const colon = decoded.indexOf(":");
  const startUs = Number(decoded.slice(0, colon));
  if (colon <= 0 || !Number.isSafeInteger(startUs)) {
    throw new StoreError("STORE_BAD_CURSOR", `Invalid run list cursor "${text}": pass back the nextCursor of the previous page unchanged.`);
  }
  return { startUs, runId: decoded.slice(colon + 1) };
}
