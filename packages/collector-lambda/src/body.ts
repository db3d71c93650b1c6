/**
 * Reading a request body under a size cap, and gunzipping it under the same cap, so that neither
 * a large upload nor a small gzip bomb can make the collector buffer more than `limit` bytes.
 */
import type { IncomingMessage } from "node:http";
import { gunzip } from "node:zlib";

/** The body, or why it was refused: over the size cap (413) or undecodable (400). */
export type BodyOutcome =
  | { ok: true; body: Buffer }
  | { ok: false; status: 400 | 413; message: string };

/**
 * Reads the whole body, or stops as soon as it passes `limit` bytes: the request is then paused
 * and nothing more is buffered (the caller answers 413 and closes the connection).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyOutcome> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (outcome: BodyOutcome | Error): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        chunks.length = 0;
        finish({ ok: false, status: 413, message: tooLarge(`The request body is larger than the collector's limit of ${limit} bytes`) });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onError = (error: Error): void => finish(error);
    const onClose = (): void => {
      if (!req.complete) finish(new Error("The client closed the connection before sending the whole body."));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** Gunzips `body`, refusing to produce more than `limit` bytes. */
export function gunzipBody(body: Buffer, limit: number): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    gunzip(body, { maxOutputLength: limit }, (error, out) => {
      if (error === null) resolve({ ok: true, body: out });
      else if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        resolve({ ok: false, status: 413, message: tooLarge(`The gzip body decompresses to more than the collector's limit of ${limit} bytes`) });
      } else {
        resolve({ ok: false, status: 400, message: `The body is not valid gzip (Content-Encoding: gzip): ${error.message}.` });
      }
    });
  });
}

function tooLarge(what: string): string {
  return `${what}. Send smaller batches (e.g. lower the BatchSpanProcessor's maxExportBatchSize) or raise maxBodyBytes.`;
}
