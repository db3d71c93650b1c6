/**
 * AWS Signature Version 4 for what `init()` sends: the collector deployed by the CDK construct
 * sits behind a Lambda Function URL with `AWS_IAM` auth, which refuses (403) any request not
 * signed by a principal allowed `lambda:InvokeFunctionUrl`. The signing is the AWS SDK's own
 * (`@smithy/signature-v4`), and the credentials come from the SDK's default chain
 * (`@aws-sdk/credential-provider-node`: environment, SSO, shared files, web identity, ECS and EC2
 * roles — inside Lambda, the function's role), both loaded on the first request signed (the
 * signer alone takes about 40 ms to load: a cold start that never signs does not pay it).
 */
import { createHash, createHmac } from "node:crypto";
import { diag } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { SignatureV4 } from "@smithy/signature-v4";
import { TracewrightError } from "./errors.js";
import { encodeBody, encodingHeader, otlpCompressionFromEnv, otlpProtocolFromEnv, otlpTimeoutFromEnv } from "./export-queue.js";
import { retryAfterMs } from "./retry.js";
import type { OtlpCompression, OtlpProtocol } from "./export-queue.js";

/** AWS credentials, as the SDK's credential providers resolve them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface SigV4Options {
  /** The region signed for. Default: the Function URL's own (`<id>.lambda-url.<region>.on.aws`), else `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  region?: string;
  /** The service signed for. Default: `lambda` (a Function URL). */
  service?: string;
  /** The credentials, or a provider of them. Default: the AWS SDK's default credential chain. */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
}

/** Headers with a SigV4 `authorization` (and `x-amz-date`, `x-amz-security-token`) added, for this request. */
export type RequestSigner = (method: string, url: URL, headers: Record<string, string>, body: string | Uint8Array) => Promise<Record<string, string>>;

/** A Lambda Function URL's host: `<url-id>.lambda-url.<region>.on.aws`. */
const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/i;

/** The region of a Lambda Function URL, or undefined for any other URL. */
export function functionUrlRegion(url: string): string | undefined {
  try {
    return FUNCTION_URL_HOST.exec(new URL(url).hostname)?.[1]?.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * A signer for requests to `endpoint`. The region is resolved now, so a missing one is a clear
 * error at `init()`; credentials are resolved per request (the provider caches them and renews
 * them before they expire), so a process started before its role's credentials exist still signs.
 */
export function sigV4Signer(endpoint: string, options: SigV4Options = {}, env: NodeJS.ProcessEnv = process.env): RequestSigner {
  const region = options.region ?? functionUrlRegion(endpoint) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === "") {
    throw new TracewrightError("CONFIG_INVALID", `Signing exports with SigV4 needs a region, and none was found for ${endpoint}: pass init({ sigv4: { region } }) or set AWS_REGION.`);
  }
  const credentials = options.credentials ?? defaultCredentials();
  let signer: Promise<SignatureV4> | undefined;
  return async (method, url, headers, body) => {
    signer ??= import("@smithy/signature-v4").then((m) => new m.SignatureV4({ service: options.service ?? "lambda", region, credentials, sha256: NodeSha256, uriEscapePath: true }));
    // Every value of a repeated parameter is signed, as every one is sent.
    const query: Record<string, string[]> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
    const signed = await (await signer).sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === "" ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      // fetch sends this very host (it sets Host from the URL, and ignores one given).
      headers: { ...headers, host: url.host },
      body,
    });
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(signed.headers)) if (key.toLowerCase() !== "host") out[key] = value;
    return out;
  };
}

/** The AWS SDK's default credential chain, imported on first use (it is large, and most processes never sign). */
function defaultCredentials(): () => Promise<AwsCredentials> {
  let provider: Promise<() => Promise<AwsCredentials>> | undefined;
  return async () => {
    provider ??= import("@aws-sdk/credential-provider-node").then((m) => m.defaultProvider());
    return (await provider)();
  };
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the signer asks for. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** Each protocol's body writer and the content type it is sent with. */
const ENCODINGS = {
  "http/json": { serializer: JsonTraceSerializer, contentType: "application/json" },
  "http/protobuf": { serializer: ProtobufTraceSerializer, contentType: "application/x-protobuf" },
} as const;

/**
 * OTLP/HTTP export with every request signed: the OpenTelemetry exporters' body
 * (`JsonTraceSerializer`, or `ProtobufTraceSerializer` for `http/protobuf`), gzipped when the
 * environment asks as it asks the exporter, over fetch.
 * One attempt per batch: the export queue retries a failed batch with its backoff, and no sooner
 * than a 429's or 503's `Retry-After` asks (up to the backoff's 30 s cap; a `flush()` forces a
 * pass regardless). A collector's `partialSuccess` (spans it rejected, and why) is reported
 * through the diagnostic logger, as the OpenTelemetry exporter reports it.
 */
export class SignedOtlpExporter implements SpanExporter {
  private readonly url: URL;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    endpoint: string,
    private readonly sign: RequestSigner,
    private readonly headers: Record<string, string> = {},
    /** Per request; default as the OTLP exporter's (`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10 s). */
    private readonly timeoutMs = otlpTimeoutFromEnv(),
    /** As the OTLP exporter's (`OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION`, else none); the compressed body is what is signed. */
    private readonly compression: OtlpCompression = otlpCompressionFromEnv(),
    /** As `init` resolves it (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`, else JSON). */
    private readonly protocol: OtlpProtocol = otlpProtocolFromEnv(),
  ) {
    this.url = new URL(endpoint);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const sending = this.send(spans).then(
      () => done({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
  }

  private async send(spans: ReadableSpan[]): Promise<void> {
    const { serializer, contentType } = ENCODINGS[this.protocol];
    const encoded = serializer.serializeRequest(spans);
    if (encoded === undefined) throw new Error("the OTLP serializer returned no body");
    const body = await encodeBody(encoded, this.compression);
    const headers = await this.sign("POST", this.url, { ...this.headers, "content-type": contentType, ...encodingHeader(this.compression) }, body);
    const res = await fetch(this.url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    const answer = new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
    // `code`, as the OpenTelemetry exporter's errors carry it: the queue gives up on a 4xx but 408 and 429.
    if (!res.ok) {
      // With the wait a 429 or 503 asked for, which the queue's backoff honours (as the OTLP exporter does).
      const after = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get("retry-after")) : undefined;
      throw Object.assign(new Error(`the collector answered ${res.status} to POST ${this.url.href}: ${describeAnswer(answer, res.headers.get("content-type"))}`), { code: res.status, ...(after === undefined ? {} : { retryAfterMs: after }) });
    }
    reportPartialSuccess(this.protocol, answer);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}

/** A refusal's body for the error message: its text, or the message of a protobuf `google.rpc.Status`. */
function describeAnswer(body: Uint8Array, contentType: string | null): string {
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
  if (rejected > 0) diag.warn(`tracewright: the collector rejected ${rejected} spans: ${String(partial?.errorMessage ?? "")}`);
}
