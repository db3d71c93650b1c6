/**
 * `PUT /v1/payloads/<sha256>`: whole states the instrumentation sent by reference (larger than
 * its `maxInlineBytes`), content-addressed. Shared by the local server and the Lambda HTTP
 * handler. The body is the state's JSON text (`application/json`, optionally gzipped), under the
 * same token and size rules as `/v1/traces`. The collector checks that the body's sha256 is the
 * one its path names (400 otherwise: a payload is never stored under a hash it does not have),
 * that it is UTF-8 JSON, and hands it to every sink that keeps payloads (`Sink.putPayload`:
 * the store, CloudWatch Logs). Idempotent: the same payload sent twice is kept once.
 *
 * Answers: 204 once every such sink has it; 400 (bad hash, mismatch, not JSON), 401, 413, 415;
 * 501 when no configured sink keeps payloads (the sender counts it as failed, never silently
 * lost); 503 with `Retry-After` when a sink failed (the sender retries).
 */
import { createHash } from "node:crypto";
import { gunzipBody } from "./body.js";
import { answer, describeError, preflight } from "./export.js";
import type { Answer, ExportHeaders, ExportSettings } from "./export.js";
import { RpcCode } from "./otlp/response.js";

export const PAYLOADS_PATH = "/v1/payloads/";

/** The hash a payload path names (lower-cased), or undefined when it names none. */
export function payloadHashOf(path: string): string | undefined {
  const at = path.lastIndexOf(PAYLOADS_PATH);
  if (at === -1) return undefined;
  const hash = path.slice(at + PAYLOADS_PATH.length);
  return /^[0-9a-fA-F]{64}$/.test(hash) ? hash.toLowerCase() : undefined;
}

/** Whether a path is on the payload route (well-formed hash or not). */
export function isPayloadPath(path: string): boolean {
  return path.includes(PAYLOADS_PATH) || path.endsWith("/v1/payloads");
}

/** The header checks before the body is read: the answer to give at once, or whether to gunzip. */
export function payloadPreflight(settings: ExportSettings, path: string, headers: ExportHeaders): Answer | { hash: string; gzip: boolean } {
  const checked = preflight(settings, headers);
  if ("status" in checked) return checked;
  if (checked.format !== "json") return answer("json", 415, RpcCode.INVALID_ARGUMENT, "A payload is the state's JSON text: send Content-Type: application/json.", { close: true });
  const hash = payloadHashOf(path);
  if (hash === undefined) return answer("json", 400, RpcCode.INVALID_ARGUMENT, `No payload hash in ${JSON.stringify(path)}: PUT /v1/payloads/<sha256 of the body, 64 hex digits>.`, { close: true });
  return { hash, gzip: checked.gzip };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Verifies a payload body against its hash and hands it to every sink that keeps payloads. */
export async function exportPayload(settings: ExportSettings, hash: string, gzip: boolean, raw: Buffer): Promise<Answer> {
  let body = raw;
  if (gzip) {
    const out = await gunzipBody(raw, settings.maxBodyBytes);
    if (!out.ok) return answer("json", out.status, RpcCode.INVALID_ARGUMENT, out.message, { close: out.status === 413 });
    body = out.body;
  }
  const actual = createHash("sha256").update(body).digest("hex");
  if (actual !== hash) {
    return answer("json", 400, RpcCode.INVALID_ARGUMENT, `The payload's sha256 is ${actual}, not the ${hash} its path names: it was changed or cut on the way. Send the whole state's JSON text, hashed as sent (UTF-8).`);
  }
  let text: string;
  try {
    text = utf8.decode(body);
    JSON.parse(text);
  } catch (error) {
    return answer("json", 400, RpcCode.INVALID_ARGUMENT, `Payload ${hash} is not UTF-8 JSON (${describeError(error)}): a payload is a state's JSON text.`);
  }
  const keepers = settings.sinks.filter((sink) => sink.putPayload !== undefined);
  if (keepers.length === 0) {
    return answer("json", 501, RpcCode.UNIMPLEMENTED, `None of this collector's sinks (${settings.sinks.map((s) => s.name).join(", ")}) keeps payloads: run it with the store or cloudwatch sink to keep states larger than the instrumentation's maxInlineBytes.`);
  }
  const results = await Promise.allSettled(keepers.map((sink) => (sink.putPayload as (hash: string, body: string) => Promise<void>).call(sink, hash, text)));
  const failed: string[] = [];
  results.forEach((result, i) => {
    if (result.status === "fulfilled") return;
    const name = keepers[i]?.name ?? `#${i}`;
    failed.push(name);
    settings.log(`Tracewright collector: sink "${name}" failed to keep payload ${hash} (${body.length} bytes); answered 503 so the sender retries: ${describeError(result.reason)}`);
  });
  if (failed.length > 0) {
    return answer("json", 503, RpcCode.UNAVAILABLE, `Payload ${hash} was not kept: sink ${failed.map((n) => JSON.stringify(n)).join(", ")} failed (the collector logged the cause). Retry later; delivery is idempotent.`, {
      headers: { "Retry-After": String(settings.retryAfterSeconds) },
    });
  }
  return { status: 204, headers: {}, body: Buffer.alloc(0) };
}
