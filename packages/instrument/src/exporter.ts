/**
 * The OTLP/HTTP span exporter `init()` puts behind its export queue (export-queue.ts).
 */
import type { Agent } from "node:http";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { encodeBody, encodingHeader, otlpCompressionFromEnv, otlpProtocolFromEnv, otlpTimeoutFromEnv } from "./export-queue.js";
import type { OtlpCompression, OtlpProtocol } from "./export-queue.js";
import { agentFor, otlpTlsFromEnv, refusal, send } from "./http-send.js";
import { safely, warn } from "./safely.js";
import type { OtlpTls } from "./http-send.js";
import type { RequestSigner } from "./sigv4.js";

/** Each protocol's body writer and the content type it is sent with. */
const ENCODINGS = {
  "http/json": { serializer: JsonTraceSerializer, contentType: "application/json" },
  "http/protobuf": { serializer: ProtobufTraceSerializer, contentType: "application/x-protobuf" },
} as const;

/**
 * OTLP/HTTP export: the OpenTelemetry exporters' body (`JsonTraceSerializer`, or
 * `ProtobufTraceSerializer` for `http/protobuf`), gzipped when the environment asks as it asks
 * the exporter, over node:http(s) (http-send.ts), each request signed when `sign` is given (SigV4: sigv4.ts).
 *
 * One attempt per batch. The export queue retries a failed batch with its backoff, no sooner
 * than a 429's or 503's `Retry-After` asks (up to the backoff's 30 s cap; a `flush()` forces a
 * pass regardless). The OpenTelemetry exporters retry inside each export too, for up to their
 * 10 s timeout: behind the queue, which retries anyway, that only held a `flush()` — a script's
 * exit, a Lambda invocation's end — for 8 s on a collector that refused the connection, and a
 * `shutdown()` after it as long again. A collector's `partialSuccess` (spans it rejected, and
 * why) is reported through the diagnostic logger, as the OpenTelemetry exporter reports it.
 */
export class OtlpHttpExporter implements SpanExporter {
  private readonly url: URL;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly agent: Agent;

  constructor(
    endpoint: string,
    private readonly sign: RequestSigner | undefined,
    private readonly headers: Record<string, string> = {},
    /** Per request; default as the OTLP exporter's (`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10 s). */
    private readonly timeoutMs = otlpTimeoutFromEnv(),
    /** As the OTLP exporter's (`OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION`, else none); the compressed body is what is signed. */
    private readonly compression: OtlpCompression = otlpCompressionFromEnv(),
    /** As `init` resolves it (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`, else JSON). */
    private readonly protocol: OtlpProtocol = otlpProtocolFromEnv(),
    /** For an `https:` endpoint: as the OTLP exporter's (`otlpTlsFromEnv`: a CA, a client certificate and key). */
    tls: OtlpTls = otlpTlsFromEnv(),
  ) {
    this.url = new URL(endpoint);
    this.agent = agentFor(this.url, tls);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    // The caller's callback may throw (a diagnostic logger that throws): never an unhandled rejection.
    const report = (result: ExportResult): void => safely(() => done(result));
    const sending = this.send(spans).then(
      () => report({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => report({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
  }

  private async send(spans: ReadableSpan[]): Promise<void> {
    const { serializer, contentType } = ENCODINGS[this.protocol];
    const encoded = serializer.serializeRequest(spans);
    if (encoded === undefined) throw new Error("the OTLP serializer returned no body");
    const body = await encodeBody(encoded, this.compression);
    const unsigned = { ...this.headers, "content-type": contentType, ...encodingHeader(this.compression) };
    const headers = this.sign === undefined ? unsigned : await this.sign("POST", this.url, unsigned, body);
    const answer = await send(this.url, { method: "POST", headers, body, timeoutMs: this.timeoutMs, agent: this.agent });
    if (answer.status < 200 || answer.status >= 300) throw refusal(answer, `POST ${this.url.href}`, describeAnswer(answer.body, answer.headers["content-type"]));
    reportPartialSuccess(this.protocol, answer.body);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    // Its kept-alive connections closed: an exporter made again (a second init) does not add to them.
    this.agent.destroy();
  }
}

/** A refusal's body for the error message: its text, or the message of a protobuf `google.rpc.Status`. */
function describeAnswer(body: Uint8Array, contentType: string | undefined): string {
  if (contentType?.includes("protobuf") !== true) return new TextDecoder().decode(body.subarray(0, 1200)).slice(0, 300);
  try {
    // Field 2 is the message (left out when empty).
    return protobufStringField(body, 2)?.slice(0, 300) ?? `a google.rpc.Status without a message (${body.length} bytes)`;
  } catch {
    return `an undecodable protobuf answer (${body.length} bytes)`;
  }
}

/** The first length-delimited field `field` of a protobuf message, as UTF-8 (varint, fixed and length fields skipped). */
function protobufStringField(bytes: Uint8Array, field: number): string | undefined {
  let i = 0;
  const varint = (): number => {
    let value = 0;
    // Up to ten bytes (a negative int32 takes all ten); only skipped or used as a length, so precision past 2^53 does not matter.
    for (let shift = 0; shift < 70; shift += 7) {
      const b = bytes[i++];
      if (b === undefined) throw new Error("truncated");
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new Error("varint too long");
  };
  while (i < bytes.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const length = varint();
      if (tag >>> 3 === field) return new TextDecoder().decode(bytes.subarray(i, i + length));
      i += length;
    } else throw new Error(`wire type ${wire}`);
  }
  return undefined;
}

function reportPartialSuccess(protocol: OtlpProtocol, body: Uint8Array): void {
  let partial: { rejectedSpans?: unknown; errorMessage?: unknown } | undefined;
  try {
    // JSON read here, quietly: the JSON serializer's own reader warns of any body that is not JSON.
    const response = protocol === "http/json" ? (JSON.parse(new TextDecoder().decode(body)) as { partialSuccess?: typeof partial }) : ProtobufTraceSerializer.deserializeResponse(body);
    partial = response.partialSuccess as typeof partial;
  } catch {
    return;
  }
  const rejected = Number(partial?.rejectedSpans ?? 0);
  if (rejected > 0) warn(`tracewright: the collector rejected ${rejected} spans: ${String(partial?.errorMessage ?? "")}`);
}
