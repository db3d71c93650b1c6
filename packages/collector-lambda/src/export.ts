/**
 * The handling of `POST /v1/traces` that the local server and the Lambda handlers share: header
 * checks (token, content type, encoding, declared size), gunzip under the size cap, decoding,
 * writing to every sink, and the OTLP answer. The server streams the body in between; the Lambda
 * handlers have it whole in the event.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { SpanRecord } from "@tracewright/store";
import { gunzipBody } from "./body.js";
import type { BodyOutcome } from "./body.js";
import { OtlpDecodeError } from "./errors.js";
import type { DecodedTraces } from "./otlp/common.js";
import { decodeOtlpJson } from "./otlp/json.js";
import { decodeOtlpProtobuf } from "./otlp/protobuf.js";
import { CONTENT_TYPE, RpcCode, exportResponse, statusResponse } from "./otlp/response.js";
import type { OtlpFormat } from "./otlp/response.js";
import type { Sink } from "./sink.js";

/** At most this many rejection reasons go into one `partialSuccess.errorMessage`. */
const MAX_REASONS = 10;

export interface ExportSettings {
  sinks: readonly Sink[];
  maxBodyBytes: number;
  token: string | undefined;
  retryAfterSeconds: number;
  log: (message: string) => void;
}

/** An HTTP answer, independent of node:http and of Lambda's result shape. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Close the connection after answering (the body was not, or not wholly, read). */
  close?: boolean;
}

export interface ExportHeaders {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  contentLength: string | undefined;
  authorization: string | undefined;
}

export function answer(format: OtlpFormat, status: number, code: number, message: string, options: { headers?: Record<string, string>; close?: boolean } = {}): Answer {
  const body = statusResponse(format, code, message);
  return { status, headers: { "Content-Type": CONTENT_TYPE[format], ...options.headers }, body, ...(options.close === true ? { close: true } : {}) };
}

/**
 * Checks a request's headers before its body is read: the answer to give at once (401, 415,
 * 413), or the format and encoding to read the body with.
 */
export function preflight(settings: ExportSettings, headers: ExportHeaders): Answer | { format: OtlpFormat; gzip: boolean } {
  const format = formatOf(headers.contentType);
  const reply = format ?? "json";
  if (settings.token !== undefined && !authorized(headers.authorization, settings.token)) {
    return answer(reply, 401, RpcCode.UNAUTHENTICATED, "Missing or wrong bearer token: send Authorization: Bearer <token> (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>).", {
      headers: { "WWW-Authenticate": 'Bearer realm="tracewright"' },
      close: true,
    });
  }
  if (format === undefined) {
    return answer("json", 415, RpcCode.INVALID_ARGUMENT, `Content-Type ${JSON.stringify(headers.contentType ?? "")} is not supported: send application/json or application/x-protobuf.`, { close: true });
  }
  const encoding = (headers.contentEncoding ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip" && encoding !== "x-gzip") {
    return answer(format, 415, RpcCode.INVALID_ARGUMENT, `Content-Encoding ${JSON.stringify(encoding)} is not supported: send gzip or an uncompressed body.`, { close: true });
  }
  const declared = Number(headers.contentLength ?? Number.NaN);
  if (declared > settings.maxBodyBytes) {
    return answer(format, 413, RpcCode.INVALID_ARGUMENT, `The request body (${declared} bytes) is larger than the collector's limit of ${settings.maxBodyBytes} bytes. Send smaller batches or raise maxBodyBytes.`, { close: true });
  }
  return { format, gzip: encoding !== "identity" };
}

/** Decodes a body (gunzipping first when asked), under the size cap; throws OtlpDecodeError when it cannot be decoded at all. */
export async function decodeBody(format: OtlpFormat, gzip: boolean, body: Buffer, maxBodyBytes: number): Promise<{ ok: true; decoded: DecodedTraces } | { ok: false; status: 400 | 413; message: string }> {
  let outcome: BodyOutcome = { ok: true, body };
  if (gzip) outcome = await gunzipBody(body, maxBodyBytes);
  if (!outcome.ok) return outcome;
  try {
    return { ok: true, decoded: format === "json" ? decodeOtlpJson(outcome.body) : decodeOtlpProtobuf(outcome.body) };
  } catch (error) {
    if (error instanceof OtlpDecodeError) return { ok: false, status: 400, message: error.message };
    throw error;
  }
}

/** Decodes the whole body, writes its spans to every sink, and answers as the OTLP/HTTP spec asks. */
export async function exportBody(settings: ExportSettings, format: OtlpFormat, gzip: boolean, body: Buffer): Promise<Answer> {
  const result = await decodeBody(format, gzip, body, settings.maxBodyBytes);
  if (!result.ok) return answer(format, result.status, RpcCode.INVALID_ARGUMENT, result.message, { close: result.status === 413 });
  const { decoded } = result;
  if (decoded.spans.length > 0) {
    const failed = await writeAll(settings, decoded.spans);
    if (failed.length > 0) {
      return answer(format, 503, RpcCode.UNAVAILABLE, `The batch was not stored: sink ${failed.map((name) => JSON.stringify(name)).join(", ")} failed (the collector logged the cause). Retry later; delivery is idempotent.`, {
        headers: { "Retry-After": String(settings.retryAfterSeconds) },
      });
    }
  }
  const message = rejectionMessage(decoded);
  if (message !== "") settings.log(`Tracewright collector: ${message}`);
  return { status: 200, headers: { "Content-Type": CONTENT_TYPE[format] }, body: exportResponse(format, decoded.rejected.length, message) };
}

/** `N of M spans rejected: reason; reason; …`, or "" when none were. */
export function rejectionMessage(decoded: DecodedTraces): string {
  const { rejected } = decoded;
  if (rejected.length === 0) return "";
  const total = decoded.spans.length + rejected.length;
  const shownReasons = rejected.slice(0, MAX_REASONS).map((r) => r.reason);
  const more = rejected.length > MAX_REASONS ? `; and ${rejected.length - MAX_REASONS} more` : "";
  return `${rejected.length} of ${total} spans rejected: ${shownReasons.join("; ")}${more}`;
}

/** Writes the batch to every sink; returns the names of those that failed, each failure logged with its cause. */
export async function writeAll(settings: Pick<ExportSettings, "sinks" | "log">, spans: readonly SpanRecord[]): Promise<string[]> {
  const results = await Promise.allSettled(settings.sinks.map((sink) => sink.write(spans)));
  const failed: string[] = [];
  results.forEach((result, i) => {
    if (result.status === "fulfilled") return;
    const name = settings.sinks[i]?.name ?? `#${i}`;
    failed.push(name);
    settings.log(`Tracewright collector: sink "${name}" failed to take ${spans.length} spans; answered 503 so the exporter retries: ${describeError(result.reason)}`);
  });
  return failed;
}

/** Every sink's health: the names of the unhealthy ones. */
export async function unhealthySinks(settings: Pick<ExportSettings, "sinks" | "log">): Promise<string[]> {
  const unhealthy: string[] = [];
  for (const sink of settings.sinks) {
    if (sink.healthy === undefined) continue;
    let ok: boolean;
    try {
      ok = await sink.healthy();
    } catch (error) {
      settings.log(`Tracewright collector: health check of sink "${sink.name}" failed: ${describeError(error)}`);
      ok = false;
    }
    if (!ok) unhealthy.push(sink.name);
  }
  return unhealthy;
}

/** The OTLP encoding named by a Content-Type header (parameters such as charset allowed). */
export function formatOf(contentType: string | undefined): OtlpFormat | undefined {
  const media = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase();
  if (media === "application/json") return "json";
  if (media === "application/x-protobuf") return "protobuf";
  return undefined;
}

export function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  if (match === null) return false;
  // Compare digests, so that neither the length nor the content leaks through timing.
  const digest = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}

/** An error with its chain of causes, for one log message. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}${"code" in current && typeof current.code === "string" ? ` [${current.code}]` : ""}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join("; caused by ");
}
