/**
 * The local OTLP/HTTP receiver (`tracewright collector`): `POST /v1/traces` in JSON or protobuf,
 * optionally gzipped, into every configured sink; `GET /healthz`. node:http only.
 *
 * Answers follow the OTLP/HTTP spec: 200 with an `ExportTraceServiceResponse` (carrying
 * `partialSuccess` when some spans were rejected); 400, 413, 415 with a `google.rpc.Status` in
 * the request's encoding; 503 with `Retry-After` when a sink fails, so that exporters retry the
 * batch — which is safe because ingest is idempotent by (traceId, spanId).
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { isIPv6 } from "node:net";
import type { AddressInfo } from "node:net";
import { isLoopbackHost } from "@tracewright/instrument/shared";
import type { TraceStore } from "@tracewright/store";
import { readBody } from "./body.js";
import type { BodyOutcome } from "./body.js";
import { CollectorConfigError } from "./errors.js";
import { answer, describeError, exportBody, preflight, unhealthySinks } from "./export.js";
import type { Answer, ExportHeaders } from "./export.js";
import { exportPayload, isPayloadPath, payloadPreflight } from "./payload.js";
import { RpcCode } from "./otlp/response.js";
import type { OtlpFormat } from "./otlp/response.js";
import { storeSink } from "./sink.js";
import type { Sink } from "./sink.js";

export interface CollectorOptions {
  /** The trace store to write into (wrapped with `storeSink`; not closed by the collector). */
  store?: TraceStore;
  /** Further sinks (or the only ones, without `store`). At least one sink in all. */
  sinks?: readonly Sink[];
  /**
   * The interface to bind. Anything but a loopback address (127.0.0.0/8, ::1, localhost: `isLoopbackHost` of `@tracewright/instrument/shared`) needs
   * `token`. Default: `127.0.0.1`.
   */
  host?: string;
  /** The port; 0 picks a free one (see the handle's `port`). Default: 4318, OTLP/HTTP's. */
  port?: number;
  /** The largest request body taken, both as sent and once gunzipped. Default: 16 MiB. */
  maxBodyBytes?: number;
  /**
   * Bearer token required of every `POST /v1/traces` (`Authorization: Bearer <token>`), mandatory
   * when `host` is not loopback. Env: `TRACEWRIGHT_COLLECTOR_TOKEN`. Default: none.
   */
  token?: string;
  /** Seconds sent in `Retry-After` when a sink fails. Default: 5. */
  retryAfterSeconds?: number;
  /** Where failures are reported, one message at a time. Default: a line on stderr. */
  log?: (message: string) => void;
}

export interface CollectorHandle {
  /** The base URL, e.g. `http://127.0.0.1:4318`: what `OTEL_EXPORTER_OTLP_ENDPOINT` takes. */
  readonly url: string;
  /** The traces endpoint, `url` + `/v1/traces`: what `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` takes. */
  readonly tracesUrl: string;
  /** The bound address and port (the real port when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** Stops accepting, lets requests in flight finish, then flushes and closes every sink. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 4318;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** How long `close()` waits for requests in flight before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;

interface Settings {
  host: string;
  port: number;
  maxBodyBytes: number;
  token: string | undefined;
  retryAfterSeconds: number;
  sinks: readonly Sink[];
  log: (message: string) => void;
}

/** Starts the collector; resolves once it listens. */
export async function startCollector(options: CollectorOptions): Promise<CollectorHandle> {
  const settings = resolveOptions(options);
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = handle(settings, req, res).catch((error: unknown) => {
      settings.log(`Tracewright collector: unexpected failure answering ${req.method} ${req.url}: ${describeError(error)}`);
      if (!res.headersSent) reply(res, "json", 500, RpcCode.INTERNAL, "The collector failed unexpectedly; it logged the cause.", { close: true });
      else res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new CollectorConfigError(`The collector cannot listen on ${settings.host}:${settings.port}: ${error.code ?? error.message}. Choose another --port or --host.`, { cause: error }));
    };
    server.once("error", onError);
    server.listen({ host: settings.host, port: settings.port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (error) => settings.log(`Tracewright collector: server error: ${describeError(error)}`));

  const address = server.address() as AddressInfo;
  const url = `http://${isIPv6(address.address) ? `[${address.address}]` : address.address}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    host: address.address,
    port: address.port,
    close() {
      closing ??= shutdown(server, inFlight, settings);
      return closing;
    },
  };
}

function resolveOptions(options: CollectorOptions): Settings {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  const token = nonEmpty(options.token) ?? nonEmpty(process.env.TRACEWRIGHT_COLLECTOR_TOKEN);
  const sinks = [...(options.store === undefined ? [] : [storeSink(options.store)]), ...(options.sinks ?? [])];

  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CollectorConfigError(`port must be an integer from 0 to 65535, got ${port}.`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new CollectorConfigError(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}.`);
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new CollectorConfigError(`retryAfterSeconds must be a non-negative integer, got ${retryAfterSeconds}.`);
  if (sinks.length === 0) throw new CollectorConfigError("The collector needs somewhere to write: pass `store` or at least one sink in `sinks`.");
  if (token === undefined && !isLoopbackHost(host)) {
    throw new CollectorConfigError(`Binding ${host} exposes the collector beyond this machine, so it requires a bearer token: pass one (--token on the command line, the token option of startCollector) or set TRACEWRIGHT_COLLECTOR_TOKEN, or bind 127.0.0.1.`);
  }
  return { host, port, maxBodyBytes, token, retryAfterSeconds, sinks, log: options.log ?? ((message) => process.stderr.write(`${message}\n`)) };
}

async function handle(settings: Settings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
  if (path === "/v1/traces") {
    if (req.method !== "POST") return reply(res, "json", 405, RpcCode.UNIMPLEMENTED, `${req.method} is not supported on /v1/traces; use POST.`, { headers: { Allow: "POST" }, close: hasBody(req) });
    return exportTraces(settings, req, res);
  }
  if (path === "/healthz") {
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, "json", 405, RpcCode.UNIMPLEMENTED, `${req.method} is not supported on /healthz; use GET.`, { headers: { Allow: "GET, HEAD" }, close: hasBody(req) });
    return health(settings, req, res);
  }
  if (isPayloadPath(path)) {
    if (req.method !== "PUT") return reply(res, "json", 405, RpcCode.UNIMPLEMENTED, `${req.method} is not supported on /v1/payloads/<sha256>; use PUT.`, { headers: { Allow: "PUT" }, close: hasBody(req) });
    return putPayload(settings, path, req, res);
  }
  return reply(res, "json", 404, RpcCode.NOT_FOUND, `No route ${path}: the collector serves POST /v1/traces, PUT /v1/payloads/<sha256> and GET /healthz.`, { close: hasBody(req) });
}

/** `PUT /v1/payloads/<sha256>`: a whole state sent by reference (see payload.ts). */
async function putPayload(settings: Settings, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const checked = payloadPreflight(settings, path, requestHeaders(req));
  return receive(settings, req, res, checked, "json", (c, body) => exportPayload(settings, c.hash, c.gzip, body));
}

async function exportTraces(settings: Settings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const checked = preflight(settings, requestHeaders(req));
  return receive(settings, req, res, checked, "status" in checked ? "json" : checked.format, (c, body) => exportBody(settings, c.format, c.gzip, body));
}

function requestHeaders(req: IncomingMessage): ExportHeaders {
  return {
    contentType: req.headers["content-type"],
    contentEncoding: req.headers["content-encoding"],
    contentLength: req.headers["content-length"],
    authorization: req.headers.authorization,
  };
}

/**
 * Answers at once when the headers were refused (`checked` is an answer); else reads the body
 * under the size cap and answers with what `handle` makes of it.
 */
async function receive<C extends object>(settings: Settings, req: IncomingMessage, res: ServerResponse, checked: Answer | C, format: OtlpFormat, handle: (checked: C, body: Buffer) => Promise<Answer>): Promise<void> {
  if ("status" in checked) return sendAnswer(res, checked);
  let outcome: BodyOutcome;
  try {
    outcome = await readBody(req, settings.maxBodyBytes);
  } catch {
    // The client went away mid-body: there is no one to answer and nothing to store.
    res.destroy();
    return;
  }
  if (!outcome.ok) return sendAnswer(res, answer(format, outcome.status, RpcCode.INVALID_ARGUMENT, outcome.message, { close: outcome.status === 413 }));
  sendAnswer(res, await handle(checked, outcome.body));
}

async function health(settings: Settings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const unhealthy = await unhealthySinks(settings);
  const body = Buffer.from(JSON.stringify(unhealthy.length === 0 ? { status: "ok" } : { status: "unavailable", unhealthy }));
  res.writeHead(unhealthy.length === 0 ? 200 : 503, { "Content-Type": "application/json", "Content-Length": body.length, "Cache-Control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}

async function shutdown(server: Server, inFlight: Set<Promise<void>>, settings: Settings): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  await Promise.allSettled([...inFlight]);
  server.closeIdleConnections();
  await closed;
  clearTimeout(grace);
  for (const sink of settings.sinks) {
    try {
      await sink.flush();
      await sink.close();
    } catch (error) {
      settings.log(`Tracewright collector: closing sink "${sink.name}" failed: ${describeError(error)}`);
    }
  }
}

function reply(res: ServerResponse, format: OtlpFormat, status: number, code: number, message: string, options: { headers?: Record<string, string>; close?: boolean } = {}): void {
  sendAnswer(res, answer(format, status, code, message, options));
}

function sendAnswer(res: ServerResponse, a: Answer): void {
  res.writeHead(a.status, { ...a.headers, "Content-Length": a.body.length, ...(a.close === true ? { Connection: "close" } : {}) });
  res.end(a.body);
}

/** Whether the request carries a body we have not read (then the connection is closed after answering). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
