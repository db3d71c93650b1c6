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
import type { SignatureV4 } from "@smithy/signature-v4";
import { TracewrightError } from "./errors.js";
import type { OtlpCompression, OtlpProtocol } from "./export-queue.js";
import { OtlpHttpExporter } from "./exporter.js";
import type { OtlpTls } from "./http-send.js";

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
      // The request sends this very host (node:http sets Host from the URL).
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

/**
 * {@link OtlpHttpExporter} with every request signed (`sigV4Signer`): for a collector behind a
 * Lambda Function URL with `AWS_IAM` auth.
 */
export class SignedOtlpExporter extends OtlpHttpExporter {
  constructor(endpoint: string, sign: RequestSigner, headers?: Record<string, string>, timeoutMs?: number, compression?: OtlpCompression, protocol?: OtlpProtocol, tls?: OtlpTls) {
    super(endpoint, sign, headers, timeoutMs, compression, protocol, tls);
  }
}
