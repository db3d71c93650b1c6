/**
 * The one HTTP request the export makes — a span batch's POST, a payload's PUT — over node:http
 * and node:https, as OpenTelemetry's Node exporter sends: a keep-alive agent, the OTLP
 * environment's TLS files, no redirect followed, the answer read up to 4 MiB.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { retryAfterMs } from "./retry.js";
import { warn } from "./safely.js";

/** What a request was answered: its status, headers and (up to {@link MAX_ANSWER_BYTES} of) its body. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * TLS material for an `https:` collector, as OpenTelemetry's exporter reads it: a CA to trust
 * (`OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`, else `OTEL_EXPORTER_OTLP_CERTIFICATE`) and a client
 * certificate and key for mutual TLS (`…_CLIENT_CERTIFICATE`, `…_CLIENT_KEY`), each a PEM file.
 */
export interface OtlpTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The most of an answer kept (OpenTelemetry's exporter's cap): a collector's answer is a small status. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** The User-Agent of every export request. */
export const USER_AGENT = "tracewright-instrument/0.1.0";

/**
 * The OTLP environment's TLS files, read now. A file that cannot be read is warned of and left
 * out, as OpenTelemetry's exporter leaves it out: the export then fails its handshake, said each time.
 */
export function otlpTlsFromEnv(env: NodeJS.ProcessEnv = process.env): OtlpTls {
  const tls: OtlpTls = {};
  for (const [field, name] of [
    ["ca", "CERTIFICATE"],
    ["cert", "CLIENT_CERTIFICATE"],
    ["key", "CLIENT_KEY"],
  ] as const) {
    const variable = [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`].find((v) => (env[v]?.trim() ?? "") !== "");
    if (variable === undefined) continue;
    const path = (env[variable] as string).trim();
    try {
      tls[field] = readFileSync(path);
    } catch (error) {
      warn(`tracewright: ${variable}=${path} cannot be read (${(error as Error).message}); exporting without it.`);
    }
  }
  return tls;
}

/**
 * How long an idle kept-alive connection is kept: under the 5 s a Node.js server (the collector
 * among them) keeps one before closing it, so that a request rarely meets a connection the
 * server is closing at that moment (see {@link send} for when it does).
 */
const IDLE_SOCKET_MS = 4_000;

/** The longest wait a timer takes (2³¹ − 1 ms): a longer one fires at once, with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A keep-alive agent for `url`'s scheme, with the TLS material for an `https:` one. */
export function agentFor(url: URL, tls: OtlpTls = {}): HttpAgent {
  const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  return url.protocol === "https:" ? new HttpsAgent({ ...options, ...tls }) : new HttpAgent(options);
}

/**
 * One request, answered or failed: a connection refused or reset, a TLS handshake refused, no
 * answer within `timeoutMs` (a `TimeoutError`) — errors whose `code` is a string, never an HTTP
 * status, so the export queue retries them. A redirect is an answer like any other (its 3xx
 * status), not followed: following one turns a POST into a GET without its body, which a 200
 * then answers as if the spans had been taken.
 *
 * A kept-alive connection the server closed as the request went out (its idle timeout) is tried
 * once more at once, on a new one, as Node.js documents (`request.reusedSocket`): the request
 * never reached the server.
 */
export async function send(url: URL, options: SendOptions): Promise<HttpAnswer> {
  try {
    return await sendOnce(url, options);
  } catch (error) {
    if (!(error as { reusedSocket?: boolean }).reusedSocket || !STALE_SOCKET_CODES.has(String((error as { code?: unknown }).code))) throw error;
    return sendOnce(url, options);
  }
}

interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  timeoutMs: number;
  agent: HttpAgent;
}

/** What a kept-alive connection closed under a request fails with. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

function sendOnce(url: URL, options: SendOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(url, { method: options.method, headers: { "user-agent": USER_AGENT, ...options.headers }, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on("data", (chunk: Buffer) => {
        if (kept >= MAX_ANSWER_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - kept));
        kept += chunk.length;
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on("error", fail);
    });
    const timer = setTimeout(() => {
      req.destroy();
      fail(Object.assign(new Error(`no answer from ${url.origin} within ${options.timeoutMs} ms`), { name: "TimeoutError", code: "ETIMEDOUT" }));
    }, Math.min(options.timeoutMs, MAX_TIMER_MS));
    timer.unref();
    function fail(error: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(Object.assign(error, { reusedSocket: req.reusedSocket }));
    }
    req.on("error", fail);
    // A 101 (an upgrade nobody asked for): Node.js destroys the socket without an error or an answer.
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      fail(Object.assign(new Error(`${url.origin} answered 101 Switching Protocols, which an OTLP export does not take`), { code: "EPROTO" }));
    });
    // Closed with neither an answer nor an error: failed all the same, never left pending.
    req.on("close", () => fail(Object.assign(new Error(`the connection to ${url.origin} closed without an answer`), { code: "ECONNRESET" })));
    req.end(options.body);
  });
}

/**
 * A refusal as the error the export queue reads: `code` its HTTP status (the queue gives up on a
 * 3xx or 4xx but 408 and 429, and retries the rest), `retryAfterMs` the wait a 429's or 503's
 * `Retry-After` asked for. `described` is what the answer said.
 */
export function refusal(answer: HttpAnswer, request: string, described: string): Error & { code: number; retryAfterMs?: number } {
  const retryAfter = answer.headers["retry-after"];
  const after = answer.status === 429 || answer.status === 503 ? retryAfterMs(typeof retryAfter === "string" ? retryAfter : null) : undefined;
  const redirect = answer.status >= 300 && answer.status < 400 ? ` (a redirect to ${answer.headers.location ?? "nowhere"}, not followed: point the endpoint at the collector itself)` : "";
  return Object.assign(new Error(`the collector answered ${answer.status} to ${request}${redirect}: ${described}`), { code: answer.status, ...(after === undefined ? {} : { retryAfterMs: after }) });
}
