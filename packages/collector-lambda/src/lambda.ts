/**
 * The collector as AWS Lambda handlers:
 *
 * - `httpHandler`: Function URL and API Gateway (REST v1 and HTTP v2 payloads) events carrying an
 *   OTLP body (base64 when `isBase64Encoded`, gzip with `Content-Encoding: gzip`), answered exactly
 *   as the local server answers (`export.ts` is shared): 200 with `partialSuccess`, 400, 401, 413,
 *   415, 503 with `Retry-After`; `GET /healthz`.
 * - `sqsHandler`: SQS messages whose bodies are OTLP requests — JSON text, or base64 protobuf with
 *   the message attribute `contentType = application/x-protobuf` (and `contentEncoding = gzip`
 *   when compressed). A message that cannot be decoded, or whose spans a sink did not take, is
 *   listed in `batchItemFailures`, so SQS redelivers it and finally moves it to the DLQ; nothing is
 *   dropped silently. Spans rejected inside a decodable message are logged, as `partialSuccess`.
 *
 * Sinks come from `TRACEWRIGHT_SINKS` (default `xray,cloudwatch`), the log group from
 * `TRACEWRIGHT_LOG_GROUP`. The sinks (and their AWS clients) are created once per Lambda instance
 * and reused; everything about one invocation (body, decoded spans, failures) lives in the call.
 * Every sink is flushed before a handler returns. Redelivery is safe: the store deduplicates by
 * (traceId, spanId), X-Ray keeps one segment per id, and the CloudWatch Logs reader reads each span once.
 */
import { CollectorConfigError } from "./errors.js";
import { answer, decodeBody, describeError, exportBody, preflight, rejectionMessage, unhealthySinks, writeAll } from "./export.js";
import type { Answer, ExportSettings } from "./export.js";
import { exportPayload, isPayloadPath, payloadPreflight } from "./payload.js";
import { RpcCode } from "./otlp/response.js";
import type { OtlpFormat } from "./otlp/response.js";
import type { Sink } from "./sink.js";
import { DEFAULT_LAMBDA_SINKS, createSinks, parseSinkNames } from "./sinks.js";

/** API Gateway REST (payload 1.0), HTTP API (2.0) and Function URL events: the fields read here. */
export interface HttpEvent {
  version?: string;
  httpMethod?: string;
  path?: string;
  rawPath?: string;
  requestContext?: { http?: { method?: string; path?: string } };
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export interface SqsRecord {
  messageId: string;
  body: string;
  messageAttributes?: Record<string, { stringValue?: string; dataType?: string } | undefined>;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface LambdaHandlerOptions {
  /** The sinks. Default: created once from `TRACEWRIGHT_SINKS`. */
  sinks?: readonly Sink[] | (() => readonly Sink[]);
  /** Bearer token required by `httpHandler`. Env: `TRACEWRIGHT_COLLECTOR_TOKEN`. Default: none (the Function URL's IAM auth guards it). */
  token?: string;
  /** Default: 16 MiB. */
  maxBodyBytes?: number;
  /** Default: 5. */
  retryAfterSeconds?: number;
  /** Default: a line on stderr (CloudWatch Logs of the function). */
  log?: (message: string) => void;
}

/** Sinks from the environment: `TRACEWRIGHT_SINKS` (default `xray,cloudwatch`). */
export function sinksFromEnv(env: NodeJS.ProcessEnv = process.env): Sink[] {
  const names = env.TRACEWRIGHT_SINKS === undefined || env.TRACEWRIGHT_SINKS.trim() === "" ? [...DEFAULT_LAMBDA_SINKS] : parseSinkNames(env.TRACEWRIGHT_SINKS);
  if (names.includes("store")) throw new CollectorConfigError('TRACEWRIGHT_SINKS: the "store" sink (SQLite) has no place in Lambda; use xray, cloudwatch or langsmith.');
  return createSinks(names, { env });
}

function settingsFor(options: LambdaHandlerOptions): () => ExportSettings {
  let settings: ExportSettings | undefined;
  return () => {
    if (settings !== undefined) return settings;
    const sinks = typeof options.sinks === "function" ? options.sinks() : (options.sinks ?? sinksFromEnv());
    const token = options.token ?? (process.env.TRACEWRIGHT_COLLECTOR_TOKEN === "" ? undefined : process.env.TRACEWRIGHT_COLLECTOR_TOKEN);
    settings = { sinks, token, maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024, retryAfterSeconds: options.retryAfterSeconds ?? 5, log: options.log ?? ((m) => process.stderr.write(`${m}\n`)) };
    return settings;
  };
}

/** Flushes every sink; the names of those that failed. */
async function flushAll(settings: ExportSettings): Promise<string[]> {
  const results = await Promise.allSettled(settings.sinks.map((s) => s.flush()));
  const failed: string[] = [];
  results.forEach((r, i) => {
    if (r.status === "rejected") {
      const name = settings.sinks[i]?.name ?? `#${i}`;
      failed.push(name);
      settings.log(`Tracewright collector: flushing sink "${name}" failed: ${describeError(r.reason)}`);
    }
  });
  return failed;
}

function headerOf(event: HttpEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === lower && value !== undefined) return value;
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) if (key.toLowerCase() === lower && values?.[0] !== undefined) return values[0];
  return undefined;
}

function toResult(a: Answer, head = false): HttpResult {
  const text = a.headers["Content-Type"] === "application/json";
  return { statusCode: a.status, headers: a.headers, body: head ? "" : text ? a.body.toString("utf8") : a.body.toString("base64"), isBase64Encoded: !head && !text };
}

/** Builds an HTTP handler; `httpHandler` is this with the defaults. */
export function createHttpHandler(options: LambdaHandlerOptions = {}): (event: HttpEvent) => Promise<HttpResult> {
  const settingsOf = settingsFor(options);
  return async (event) => {
    const settings = settingsOf();
    const method = (event.requestContext?.http?.method ?? event.httpMethod ?? "GET").toUpperCase();
    const path = event.rawPath ?? event.requestContext?.http?.path ?? event.path ?? "/";
    if (path === "/healthz" || path.endsWith("/healthz")) {
      if (method !== "GET" && method !== "HEAD") return toResult(answer("json", 405, RpcCode.UNIMPLEMENTED, `${method} is not supported on /healthz; use GET.`, { headers: { Allow: "GET, HEAD" } }));
      const unhealthy = await unhealthySinks(settings);
      const body = JSON.stringify(unhealthy.length === 0 ? { status: "ok" } : { status: "unavailable", unhealthy });
      return { statusCode: unhealthy.length === 0 ? 200 : 503, headers: { "Content-Type": "application/json", "Cache-Control": "no-store" }, body: method === "HEAD" ? "" : body, isBase64Encoded: false };
    }
    const raw = event.body ?? "";
    const encoding = event.isBase64Encoded === true ? "base64" : "utf8";
    const headers = {
      contentType: headerOf(event, "content-type"),
      contentEncoding: headerOf(event, "content-encoding"),
      contentLength: String(Buffer.byteLength(raw, encoding)),
      authorization: headerOf(event, "authorization"),
    };
    // The size is checked (preflight) before the body is decoded, so an oversized event costs no second copy.
    if (isPayloadPath(path)) {
      if (method !== "PUT") return toResult(answer("json", 405, RpcCode.UNIMPLEMENTED, `${method} is not supported on /v1/payloads/<sha256>; use PUT.`, { headers: { Allow: "PUT" } }));
      const pre = payloadPreflight(settings, path, headers);
      if ("status" in pre) return toResult(pre);
      return toResult(await flushedOrUnavailable(settings, await exportPayload(settings, pre.hash, pre.gzip, Buffer.from(raw, encoding)), "json"));
    }
    if (!(path === "/v1/traces" || path.endsWith("/v1/traces"))) return toResult(answer("json", 404, RpcCode.NOT_FOUND, `No route ${path}: the collector serves POST /v1/traces, PUT /v1/payloads/<sha256> and GET /healthz.`));
    if (method !== "POST") return toResult(answer("json", 405, RpcCode.UNIMPLEMENTED, `${method} is not supported on /v1/traces; use POST.`, { headers: { Allow: "POST" } }));
    const checked = preflight(settings, headers);
    if ("status" in checked) return toResult(checked);
    return toResult(await flushedOrUnavailable(settings, await exportBody(settings, checked.format, checked.gzip, Buffer.from(raw, encoding)), checked.format));
  };
}

/** A success stands only once every sink has flushed (before the handler returns); else 503, to be retried. */
async function flushedOrUnavailable(settings: ExportSettings, result: Answer, format: OtlpFormat): Promise<Answer> {
  if (result.status !== 200 && result.status !== 204) return result;
  const failed = await flushAll(settings);
  if (failed.length === 0) return result;
  return answer(format, 503, RpcCode.UNAVAILABLE, `Not stored: sink ${failed.map((n) => JSON.stringify(n)).join(", ")} failed to flush. Retry later; delivery is idempotent.`, { headers: { "Retry-After": String(settings.retryAfterSeconds) } });
}

/** Builds an SQS handler; `sqsHandler` is this with the defaults. */
export function createSqsHandler(options: LambdaHandlerOptions = {}): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const settingsOf = settingsFor(options);
  return async (event) => {
    const settings = settingsOf();
    const failures: string[] = [];
    const written: string[] = [];
    for (const record of event.Records) {
      const attr = (name: string): string | undefined => record.messageAttributes?.[name]?.stringValue;
      const protobuf = (attr("contentType") ?? "application/json").toLowerCase().startsWith("application/x-protobuf");
      const gzip = (attr("contentEncoding") ?? "identity").toLowerCase() === "gzip";
      const body = protobuf || gzip ? Buffer.from(record.body, "base64") : Buffer.from(record.body, "utf8");
      let decoded;
      try {
        decoded = await decodeBody(protobuf ? "protobuf" : "json", gzip, body, settings.maxBodyBytes);
      } catch (error) {
        decoded = { ok: false as const, status: 400 as const, message: describeError(error) };
      }
      if (!decoded.ok) {
        settings.log(`Tracewright collector: SQS message ${record.messageId} cannot be decoded (${decoded.message}); left to SQS for redelivery and the DLQ.`);
        failures.push(record.messageId);
        continue;
      }
      const message = rejectionMessage(decoded.decoded);
      if (message !== "") settings.log(`Tracewright collector: SQS message ${record.messageId}: ${message}`);
      if (decoded.decoded.spans.length === 0) continue;
      const failed = await writeAll(settings, decoded.decoded.spans);
      if (failed.length > 0) failures.push(record.messageId);
      else written.push(record.messageId);
    }
    if ((await flushAll(settings)).length > 0) failures.push(...written);
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The Function URL / API Gateway handler, sinks from `TRACEWRIGHT_SINKS`. */
export const httpHandler = createHttpHandler();
/** The SQS handler (with `ReportBatchItemFailures`), sinks from `TRACEWRIGHT_SINKS`. */
export const sqsHandler = createSqsHandler();
