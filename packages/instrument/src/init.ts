import { propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import type { IdGenerator, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Resource } from "./conventions.js";
import { ensureContextManager } from "./context.js";
import { TracewrightError } from "./errors.js";
import { ByteBoundedSpanProcessor, emptyStats, httpPayloadTransport, OTLP_PROTOCOLS, otlpHeadersFromEnv, otlpProtocolFromEnv } from "./export-queue.js";
import type { ExportQueueOptions, ExportStats, OtlpProtocol, PayloadTransport } from "./export-queue.js";
import { DEFAULT_MAX_INLINE_BYTES } from "./offload.js";
import type { RedactionOptions } from "./redact.js";
import { setRedaction } from "./serialize.js";
import { OtlpHttpExporter } from "./exporter.js";
import { otlpTlsFromEnv } from "./http-send.js";
import type { OtlpTls } from "./http-send.js";
import { functionUrlRegion, sigV4Signer } from "./sigv4.js";
import type { RequestSigner, SigV4Options } from "./sigv4.js";
import { setTracer, unsetTracer } from "./steps.js";
import { XRayIdGenerator } from "./xray-ids.js";
import { warn } from "./safely.js";

export interface InitOptions {
  /** `service.name`. Env: `OTEL_SERVICE_NAME`. Default: `"tracewright-agent"`. */
  serviceName?: string;
  /**
   * The OTLP/HTTP traces endpoint. Env: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. Default: `http://127.0.0.1:4318/v1/traces`
   * (the local collector).
   */
  endpoint?: string;
  /**
   * How spans are encoded over OTLP/HTTP: `"http/json"` or `"http/protobuf"`. Env:
   * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`. Default:
   * `"http/json"` (see `otlpProtocolFromEnv`).
   */
  protocol?: OtlpProtocol;
  /** Export with this exporter instead of OTLP/HTTP (tests, other backends). */
  exporter?: SpanExporter;
  /** The export queue's bounds (see export-queue.ts). */
  exportQueue?: ExportQueueOptions;
  /**
   * The largest state (UTF-8 bytes of its canonical JSON) that rides whole in its span. A larger
   * one is sent to the collector by reference (`PUT /v1/payloads/<sha256>`, through the export
   * queue and its byte budget), and the span carries a valid-JSON marker with a preview and the
   * ref (`tracewright.payload.ref`); the store hands readers the whole state back. `Infinity`
   * keeps every state inline. Env: `TRACEWRIGHT_MAX_INLINE_BYTES`. Default: 262,144 (256 KiB,
   * CloudWatch Logs' event size; a span stays well inside the collector's request limit).
   */
  maxInlineBytes?: number;
  /**
   * Where payloads are sent. Env: `TRACEWRIGHT_PAYLOAD_ENDPOINT`. Default: the traces endpoint
   * with `/v1/traces` replaced by `/v1/payloads` — none for a custom `exporter` without one, and
   * then every state rides inline, whole. A {@link PayloadTransport} instead of a URL sends them
   * some other way.
   */
  payloadEndpoint?: string | PayloadTransport;
  /**
   * Sign every export (spans and payloads) with AWS SigV4, for a collector behind a Lambda
   * Function URL with `AWS_IAM` auth (the CDK construct's): `true`, or the region, service and
   * credentials to sign with (see sigv4.ts; by default the Function URL's region and the AWS
   * SDK's default credential chain — in Lambda, the function's role). Env: `TRACEWRIGHT_SIGV4`
   * (`true`/`false`). Default: on when the endpoint is a Function URL
   * (`*.lambda-url.<region>.on.aws`), off otherwise. Not used with a custom `exporter`'s spans.
   */
  sigv4?: boolean | SigV4Options;
  /** Use these span processors instead of the byte-bounded export queue around the exporter. */
  spanProcessors?: SpanProcessor[];
  /**
   * What to mask in recorded states before they are hashed and exported (see redact.ts). On by
   * default for secret-named keys and secret-shaped strings; `{ enabled: false }` turns it off.
   */
  redact?: RedactionOptions;
  /**
   * The share of runs recorded, decided at the root and followed by every step and hop of the
   * run (parent-based), so a run is exported whole or not at all. Env: `OTEL_TRACES_SAMPLER` /
   * `OTEL_TRACES_SAMPLER_ARG` as the SDK reads them. Default: 1 (every run).
   */
  sampleRatio?: number;
  /**
   * Trace and span id generator (e.g. fixed ids in tests). Default: X-Ray-compatible ids
   * ({@link XRayIdGenerator}, epoch seconds first) when `xrayIds` says so, else the SDK's random ids.
   */
  idGenerator?: IdGenerator;
  /**
   * Make trace ids X-Ray accepts (its `1-<8 hex epoch seconds>-<24 hex>` form), for runs whose
   * collector sends them to X-Ray. Env: `TRACEWRIGHT_XRAY_IDS` (`true`/`false`); else true when
   * `TRACEWRIGHT_SINKS` (the collector's sink list, set alike where agent and collector share an
   * environment, as in Lambda) names `xray`. Default: false. Ignored when `idGenerator` is given.
   */
  xrayIds?: boolean;
  /**
   * Register the provider as the global one (and the async-local-storage context manager and
   * W3C propagator). Default: true. With false, only Tracewright's wrappers use it.
   */
  register?: boolean;
}

/** What `init()` returns. */
export interface Tracing {
  readonly provider: NodeTracerProvider;
  /** Exports everything recorded so far. Call before a serverless handler returns. */
  flush(): Promise<void>;
  /**
   * Flushes and stops exporting; the wrappers fall back to the global tracer — unless a later
   * `init()` has replaced this handle, which then goes on recording. Calling it twice is harmless.
   */
  shutdown(): Promise<void>;
  /** What the export queue has exported, dropped and failed (zeros with custom span processors). */
  stats(): ExportStats;
}

/**
 * Sets up export of every step. Options, then environment, then defaults (STYLE.md §5).
 * Telemetry never breaks the agent: with the collector down, exports fail quietly in the
 * background (reported through the OpenTelemetry diagnostic logger) and the agent runs on.
 */
export function init(options: InitOptions = {}): Tracing {
  const serviceName = options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? "tracewright-agent";
  const endpoint = resolveEndpoint(options.endpoint);
  const sigv4 = resolveSigV4(options.sigv4, endpoint);
  const sign = sigv4 === undefined ? undefined : signerFor(endpoint, sigv4, options.sigv4 !== undefined);
  // Checked even when a custom exporter makes it moot: a bad option is an error wherever it is.
  const protocol = resolveProtocol(options.protocol);
  // The OTLP environment's TLS files, read once for the spans and the payloads alike.
  const tls = otlpTlsFromEnv();
  const payloads = resolvePayloadTransport(options.payloadEndpoint, options.exporter === undefined || options.endpoint !== undefined ? endpoint : undefined, sign, tls);
  const queue =
    options.spanProcessors === undefined
      ? new ByteBoundedSpanProcessor(options.exporter ?? spanExporter(endpoint, sign, protocol, tls), options.exportQueue, payloads, resolveMaxInlineBytes(options.maxInlineBytes))
      : undefined;
  const processors = options.spanProcessors ?? [queue as ByteBoundedSpanProcessor];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [Resource.SERVICE_NAME]: serviceName }),
    spanProcessors: processors,
    ...idGeneratorFor(options),
    ...(options.sampleRatio === undefined ? {} : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }) }),
  });
  if (options.register ?? true) {
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  ensureContextManager();
  setRedaction(options.redact);
  // No payload sink without a transport: every state rides inline, whole.
  const tracer = provider.getTracer("@tracewright/instrument", "0.1.0");
  setTracer(tracer, payloads === undefined ? undefined : queue);
  return {
    provider,
    // Telemetry never breaks the program: a failed export is reported, never thrown at it.
    flush: () => provider.forceFlush().catch(reportExportFailure),
    shutdown: async () => {
      unsetTracer(tracer);
      await provider.shutdown().catch(reportExportFailure);
    },
    stats: () => ({ ...(queue?.counters ?? emptyStats()) }),
  };
}

/** The OTLP/HTTP exporter of the protocol (exporter.ts), signing every request when exports are signed. */
function spanExporter(endpoint: string, sign: RequestSigner | undefined, protocol: OtlpProtocol, tls: OtlpTls): SpanExporter {
  return new OtlpHttpExporter(endpoint, sign, otlpHeadersFromEnv(), undefined, undefined, protocol, tls);
}

/** `protocol`: the option, else the environment's (`otlpProtocolFromEnv`), else JSON. */
export function resolveProtocol(explicit?: OtlpProtocol, env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  if (explicit === undefined) return otlpProtocolFromEnv(env);
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(explicit)) {
    throw new TracewrightError("CONFIG_INVALID", `protocol must be ${OTLP_PROTOCOLS.map((p) => JSON.stringify(p)).join(" or ")}; got ${JSON.stringify(explicit)}.`);
  }
  return explicit;
}

/**
 * The SigV4 signer. A region it cannot find is an error when the option asked for signing, and
 * a warning when the environment did (a setting of the environment must not stop the agent):
 * then nothing is signed, and the endpoint's answers say the rest.
 */
function signerFor(endpoint: string, sigv4: SigV4Options, explicit: boolean): RequestSigner | undefined {
  try {
    return sigV4Signer(endpoint, sigv4);
  } catch (error) {
    if (explicit) throw error;
    warn(`tracewright: ${(error as Error).message} Exports are not signed.`);
    return undefined;
  }
}

/**
 * `sigv4` resolved: the option, else `TRACEWRIGHT_SIGV4`, else on for a Function URL endpoint;
 * the signing options when on, undefined when off.
 */
export function resolveSigV4(explicit: boolean | SigV4Options | undefined, endpoint: string, env: NodeJS.ProcessEnv = process.env): SigV4Options | undefined {
  if (typeof explicit === "object") return explicit;
  if (explicit !== undefined) return explicit ? {} : undefined;
  const flag = env.TRACEWRIGHT_SIGV4?.trim().toLowerCase();
  if (flag === "true" || flag === "1") return {};
  if (flag === "false" || flag === "0") return undefined;
  if (flag !== undefined && flag !== "") warn(`tracewright: TRACEWRIGHT_SIGV4 must be true or false; got ${JSON.stringify(env.TRACEWRIGHT_SIGV4)}, deciding by the endpoint.`);
  if (functionUrlRegion(endpoint) === undefined) return undefined;
  // A signature is an Authorization header: one configured already (a bearer token for a
  // Function URL with NONE auth) is what this agent was set up to send, and stays unsigned.
  if (otlpHeadersFromEnv(env).authorization !== undefined) {
    warn("tracewright: the endpoint is a Lambda Function URL, but OTEL_EXPORTER_OTLP_HEADERS sets Authorization, so exports are not SigV4-signed; set TRACEWRIGHT_SIGV4=true to sign (the signature replaces that header).");
    return undefined;
  }
  return {};
}

/** The id generator: the given one, else X-Ray-compatible ids when wanted (options, then env), else the SDK's. */
function idGeneratorFor(options: InitOptions): { idGenerator?: IdGenerator } {
  if (options.idGenerator !== undefined) return { idGenerator: options.idGenerator };
  return wantsXRayIds(options.xrayIds) ? { idGenerator: new XRayIdGenerator() } : {};
}

/** `xrayIds` resolved: the option, else `TRACEWRIGHT_XRAY_IDS`, else whether `TRACEWRIGHT_SINKS` names `xray`. */
function wantsXRayIds(explicit?: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (explicit !== undefined) return explicit;
  const flag = env.TRACEWRIGHT_XRAY_IDS?.trim().toLowerCase();
  if (flag === "true" || flag === "1") return true;
  if (flag === "false" || flag === "0") return false;
  return (env.TRACEWRIGHT_SINKS ?? "").split(/[\s,]+/).some((name) => name.trim().toLowerCase() === "xray");
}

function reportExportFailure(error: unknown): void {
  warn(`tracewright: exporting spans failed: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * The OTLP/HTTP traces endpoint spans go to: the explicit one, else
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else
 * the local collector.
 */
export function resolveEndpoint(explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const traces = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return traces;
  const base = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base) return `${base.replace(/\/+$/, "")}/v1/traces`;
  return "http://127.0.0.1:4318/v1/traces";
}

/** `maxInlineBytes`: the option, else `TRACEWRIGHT_MAX_INLINE_BYTES`, else 256 KiB. */
export function resolveMaxInlineBytes(explicit?: number): number {
  const valid = (n: number): boolean => n === Infinity || (Number.isInteger(n) && n >= 1024);
  const rule = "a whole number of bytes, 1024 or more, or Infinity";
  if (explicit !== undefined) {
    if (!valid(explicit)) throw new TracewrightError("CONFIG_INVALID", `maxInlineBytes must be ${rule}; got ${String(explicit)}.`);
    return explicit;
  }
  const fromEnv = process.env.TRACEWRIGHT_MAX_INLINE_BYTES?.trim();
  if (fromEnv === undefined || fromEnv === "") return DEFAULT_MAX_INLINE_BYTES;
  const parsed = Number(fromEnv);
  if (valid(parsed)) return parsed;
  // A typo in the environment must not stop the agent: the default, and a warning.
  warn(`tracewright: TRACEWRIGHT_MAX_INLINE_BYTES must be ${rule}; got ${JSON.stringify(fromEnv)}, using ${DEFAULT_MAX_INLINE_BYTES}.`);
  return DEFAULT_MAX_INLINE_BYTES;
}

/**
 * Where payloads go: the explicit endpoint or transport, else `TRACEWRIGHT_PAYLOAD_ENDPOINT`,
 * else the collector's `/v1/payloads` beside the traces endpoint (when it ends in `/v1/traces`).
 */
function resolvePayloadTransport(explicit: string | PayloadTransport | undefined, tracesEndpoint: string | undefined, sign: RequestSigner | undefined, tls: OtlpTls): PayloadTransport | undefined {
  if (explicit !== undefined && typeof explicit !== "string") return explicit;
  const url = explicit ?? process.env.TRACEWRIGHT_PAYLOAD_ENDPOINT ?? (tracesEndpoint !== undefined && /\/v1\/traces\/?$/.test(tracesEndpoint) ? tracesEndpoint.replace(/\/v1\/traces\/?$/, "/v1/payloads") : undefined);
  if (url === undefined || url === "") return undefined;
  // Signed for the traces endpoint's host: a payload endpoint elsewhere gets no AWS headers.
  const sameHost = sign !== undefined && tracesEndpoint !== undefined && hostOf(url) === hostOf(tracesEndpoint);
  return httpPayloadTransport(url, { tls, ...(sameHost ? { sign } : {}) });
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** What a Lambda handler's flush leaves of the invocation's remaining time: the time to return. */
export const LAMBDA_FLUSH_MARGIN_MS = 250;

export interface LambdaWrapperOptions {
  /**
   * The longest the flush may hold the invocation after the handler (ms). Env:
   * `TRACEWRIGHT_FLUSH_TIMEOUT_MS`. Default: none of its own. Either way the flush ends before the
   * invocation's remaining time (`context.getRemainingTimeInMillis()`) less
   * {@link LAMBDA_FLUSH_MARGIN_MS}; with neither, it is awaited whole.
   */
  flushTimeoutMs?: number;
}

/**
 * A Lambda handler that flushes every recorded step before it returns — on success and on error —
 * so nothing is lost when the execution environment freezes. Per-invocation state stays on the
 * call; the tracing handle is the only thing shared across invocations.
 *
 * The flush never outlasts the invocation: with the collector down or slow, an export waits up to
 * its timeout (10 s by default), longer than many functions may run (3 s by default), and a
 * flush awaited past the function's timeout would fail the invocation the agent had done. So it
 * is awaited only until the remaining time less a margin (or `flushTimeoutMs`); then the handler
 * returns its own result, the spans stay queued, and the next invocation's flush (or the export
 * still in flight, once the environment thaws) sends them.
 */
export function wrapLambdaHandler<E, C, R>(tracing: Pick<Tracing, "flush">, handler: LambdaHandler<E, C, R>, options: LambdaWrapperOptions = {}): (event: E, context: C) => Promise<R> {
  return async (event, context) => {
    try {
      return await invoke(handler, event, context);
    } finally {
      await flushWithin(tracing, flushBudgetMs(context, options.flushTimeoutMs));
    }
  };
}

/**
 * A Lambda handler: async, or in the callback style the Node.js runtime also calls — three
 * parameters, the result handed to `callback(error, result)`.
 */
export type LambdaHandler<E, C, R> = ((event: E, context: C) => Promise<R>) | ((event: E, context: C, callback: (error?: unknown, result?: R) => void) => void);

/** Calls a handler either way: a callback-style one (three parameters) settles when it calls back, or when the promise it may return settles. */
function invoke<E, C, R>(handler: LambdaHandler<E, C, R>, event: E, context: C): Promise<R> {
  if (handler.length < 3) return Promise.resolve((handler as (event: E, context: C) => Promise<R>)(event, context));
  return new Promise<R>((resolve, reject) => {
    const returned: unknown = (handler as (event: E, context: C, callback: (error?: unknown, result?: R) => void) => unknown)(event, context, (error, result) => (error === undefined || error === null ? resolve(result as R) : reject(error as Error)));
    if (returned !== null && typeof returned === "object" && typeof (returned as { then?: unknown }).then === "function") (returned as Promise<R>).then(resolve, reject);
  });
}

/** The flush's budget for this invocation (ms), or undefined for none. */
function flushBudgetMs(context: unknown, explicit: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const budgets: number[] = [];
  const text = env.TRACEWRIGHT_FLUSH_TIMEOUT_MS?.trim();
  const own = explicit ?? (text === undefined || text === "" ? undefined : Number(text));
  if (own !== undefined) {
    if (Number.isFinite(own) && own >= 0) budgets.push(own);
    else warn(`tracewright: the Lambda flush timeout must be a number of milliseconds, 0 or more; got ${JSON.stringify(explicit ?? text)}, ignored.`);
  }
  try {
    const remaining = (context as { getRemainingTimeInMillis?: () => number } | null)?.getRemainingTimeInMillis?.();
    if (typeof remaining === "number" && Number.isFinite(remaining)) budgets.push(remaining - LAMBDA_FLUSH_MARGIN_MS);
  } catch {
    // A context whose clock throws gives no budget: the other bounds, if any, apply.
  }
  return budgets.length === 0 ? undefined : Math.max(0, Math.min(...budgets));
}

async function flushWithin(tracing: Pick<Tracing, "flush">, budgetMs: number | undefined): Promise<void> {
  const flushed = tracing.flush();
  if (budgetMs === undefined) return flushed;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => (timer = setTimeout(() => resolve("expired"), budgetMs)));
  try {
    if ((await Promise.race([flushed.then(() => "flushed" as const), expired])) === "expired") {
      warn(`tracewright: the flush after the Lambda handler did not finish within ${budgetMs} ms (the collector is slow or unreachable); the handler returns, and the spans stay queued for the next flush`);
    }
  } finally {
    clearTimeout(timer);
  }
}
