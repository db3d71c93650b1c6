/**
 * How segment documents reach X-Ray, behind one interface (`XRayTransport`):
 *
 * - `putTraceSegmentsTransport`: the `PutTraceSegments` API through the AWS SDK v3, at most 50
 *   documents a call; throttling, 5xx and timeouts retried with jittered backoff;
 *   `UnprocessedTraceSegments` retried when their error is transient and reported otherwise.
 * - `daemonTransport`: the X-Ray daemon's UDP protocol (`{"format":"json","version":1}\n<doc>`,
 *   one datagram a document), byte for byte what `aws-xray-sdk-core`'s segment emitter sends inside
 *   Lambda (xray.int.test.ts compares the two), to the address it reads from
 *   `AWS_XRAY_DAEMON_ADDRESS`. Not through that emitter itself: it only logs a failed send, where
 *   the sink must know a document did not leave (to retry the batch, or report a document no
 *   datagram can carry) — through it, a lost document would be lost silently — and it is not part
 *   of the SDK's public API.
 *
 * End of support: the X-Ray SDKs and daemon reach end of support in February 2027. AWS's
 * replacement is the X-Ray OTLP endpoint (`https://xray.<region>.amazonaws.com/v1/traces`, SigV4)
 * or the CloudWatch agent / ADOT collector; a transport that posts OTLP there implements this same
 * interface, and nothing above it changes.
 */
import { createSocket } from "node:dgram";
import type { Socket } from "node:dgram";
import { PutTraceSegmentsCommand, XRayClient } from "@aws-sdk/client-xray";
import type { XRayClientConfig } from "@aws-sdk/client-xray";
import { isRetryableAwsError, backoffDelay, resolveRetryPolicy, sleep, withRetries } from "@tracewright/instrument/shared";
import type { ResolvedRetryPolicy, RetryPolicy } from "@tracewright/instrument/shared";
import type { SegmentDocument } from "./segment.js";

/** PutTraceSegments takes at most this many documents a call. */
export const MAX_DOCUMENTS_PER_CALL = 50;

/** A document X-Ray refused for good, and why. */
export interface RefusedDocument {
  id: string;
  reason: string;
}

export interface XRayTransport {
  /** `put-trace-segments`, `daemon`, … */
  readonly name: string;
  /**
   * The largest document this transport can carry, when it is less than X-Ray's 64 KB (the
   * daemon's datagram); the sink fits every document to it. Absent: X-Ray's limit.
   */
  readonly maxDocumentBytes?: number;
  /**
   * Delivers the documents. Resolves with the documents refused for good (malformed, too
   * large); rejects when transient failures outlast the retries, so the caller can retry the batch.
   */
  send(documents: readonly SegmentDocument[], options?: SendOptions): Promise<RefusedDocument[]>;
  close(): Promise<void>;
}

export interface SendOptions {
  /**
   * One try, no retry: for documents that are worth less late than never (an in-progress
   * segment, which must not land after the complete one it stands for). A failure rejects as usual.
   */
  once?: boolean;
}

export interface PutTraceSegmentsOptions {
  /** A client to use (not destroyed on close). Default: one built from `clientConfig` and the environment (`AWS_ENDPOINT_URL_XRAY`, `AWS_REGION`, …). */
  client?: XRayClient;
  clientConfig?: XRayClientConfig;
  /** Retries of throttling, 5xx, timeouts and transient unprocessed segments. */
  retry?: RetryPolicy;
  /** Per-call timeout in ms. Default: 10,000. */
  requestTimeoutMs?: number;
}

/** `UnprocessedTraceSegments` error codes worth sending again. */
function transientCode(code: string | undefined): boolean {
  return code !== undefined && /thrott|limit|unavailable|internal|timeout|^5\d\d$/i.test(code);
}

export function putTraceSegmentsTransport(options: PutTraceSegmentsOptions = {}): XRayTransport {
  const owned = options.client === undefined;
  // The SDK's own retries are off: this transport retries (with the same policy as the other
  // sinks), and sees every throttle, so that tests and logs can count them.
  const client = options.client ?? new XRayClient({ maxAttempts: 1, requestHandler: { requestTimeout: options.requestTimeoutMs ?? 10_000, throwOnRequestTimeout: true }, ...options.clientConfig });
  const retried = resolveRetryPolicy(options.retry);
  const once: ResolvedRetryPolicy = { ...retried, attempts: 1 };

  async function sendChunk(chunk: readonly SegmentDocument[], policy: ResolvedRetryPolicy): Promise<RefusedDocument[]> {
    let pending = [...chunk];
    const refused: RefusedDocument[] = [];
    for (let round = 0; pending.length > 0; round++) {
      const batch = pending;
      const result = await withRetries(() => client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: batch.map((d) => d.json) })), isRetryableAwsError, policy);
      const byId = new Map(batch.map((d) => [d.id, d]));
      pending = [];
      for (const u of result.UnprocessedTraceSegments ?? []) {
        const doc = u.Id === undefined ? undefined : byId.get(u.Id);
        const reason = `${u.ErrorCode ?? "Unprocessed"}: ${u.Message ?? "X-Ray did not process the segment"}`;
        if (doc === undefined) {
          // X-Ray could not even read the id: nothing to retry by id, so it is reported.
          refused.push({ id: u.Id ?? "?", reason });
        } else if (transientCode(u.ErrorCode)) {
          pending.push(doc);
        } else {
          refused.push({ id: doc.id, reason });
        }
      }
      if (pending.length > 0) {
        if (round + 1 >= policy.attempts) {
          throw new Error(`X-Ray left ${pending.length} segments unprocessed after ${policy.attempts} attempts (transient errors); the batch will be retried.`);
        }
        await sleep(backoffDelay(policy, round));
      }
    }
    return refused;
  }

  return {
    name: "put-trace-segments",
    async send(documents, sendOptions = {}) {
      const refused: RefusedDocument[] = [];
      for (let i = 0; i < documents.length; i += MAX_DOCUMENTS_PER_CALL) {
        refused.push(...(await sendChunk(documents.slice(i, i + MAX_DOCUMENTS_PER_CALL), sendOptions.once === true ? once : retried)));
      }
      return refused;
    },
    async close() {
      if (owned) client.destroy();
    },
  };
}

export interface DaemonOptions {
  /**
   * `host:port` of the daemon. Env: `AWS_XRAY_DAEMON_ADDRESS` (as aws-xray-sdk-core reads it;
   * its `udp=…` form is taken too). Default: `127.0.0.1:2000`.
   */
  address?: string;
}

/** The daemon's header line: every datagram is this, a newline, and one document. */
export const DAEMON_HEADER = '{"format":"json","version":1}\n';

/**
 * The largest document one datagram carries: a UDP payload over IPv4 is at most 65,507 bytes
 * (65,535 less the IP and UDP headers), the daemon's header line included. A larger datagram is
 * refused by the socket (EMSGSIZE), however often it is retried.
 */
export const MAX_DAEMON_DOCUMENT_BYTES = 65_507 - Buffer.byteLength(DAEMON_HEADER, "utf8");

/**
 * The daemon's UDP address from `AWS_XRAY_DAEMON_ADDRESS` as the X-Ray SDKs read it (aws-xray-sdk-core's
 * daemon_config): `host:port`, or `udp:host:port tcp:host:port` in either order (Lambda sets the first).
 */
export function daemonAddress(text: string | undefined): { host: string; port: number } {
  const value = text === undefined || text.trim() === "" ? "127.0.0.1:2000" : text.trim();
  const parts = value.split(/\s+/);
  const udp = parts.length === 1 ? (/^(?:udp|tcp):/.test(value) ? undefined : value) : parts.length === 2 && parts.some((p) => p.startsWith("tcp:")) ? parts.find((p) => p.startsWith("udp:"))?.slice(4) : undefined;
  const match = udp === undefined ? null : /^(.+):(\d+)$/.exec(udp);
  if (match === null) throw new RangeError(`AWS_XRAY_DAEMON_ADDRESS: expected host:port or "udp:host:port tcp:host:port", got ${JSON.stringify(text)}`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(match[2]) };
}

/**
 * The daemon transport. UDP gives no acknowledgement: a datagram the socket accepted counts as
 * delivered; a send error rejects (the batch is retried), except a datagram too large for UDP
 * (EMSGSIZE), which no retry can send: that document is refused. The sink fits documents to
 * `maxDocumentBytes` (65,477 bytes: a datagram with the header), so none should be.
 */
export function daemonTransport(options: DaemonOptions = {}): XRayTransport {
  const { host, port } = daemonAddress(options.address ?? process.env.AWS_XRAY_DAEMON_ADDRESS);
  let socket: Socket | undefined;
  const open = (): Socket => {
    socket ??= createSocket(host.includes(":") ? "udp6" : "udp4");
    socket.unref();
    return socket;
  };
  return {
    name: "daemon",
    maxDocumentBytes: MAX_DAEMON_DOCUMENT_BYTES,
    async send(documents) {
      const s = open();
      const refused: RefusedDocument[] = [];
      for (const doc of documents) {
        const datagram = Buffer.from(DAEMON_HEADER + doc.json, "utf8");
        try {
          await new Promise<void>((resolve, reject) => s.send(datagram, port, host, (error) => (error ? reject(error) : resolve())));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EMSGSIZE") throw error;
          refused.push({ id: doc.id, reason: `a ${datagram.length}-byte datagram is more than UDP carries (EMSGSIZE)` });
        }
      }
      return refused;
    },
    async close() {
      const s = socket;
      socket = undefined;
      if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
