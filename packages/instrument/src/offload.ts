/**
 * Whole payloads by reference. A state up to `maxInlineBytes` (UTF-8 bytes of its canonical
 * JSON) rides in its span; a larger one is handed whole to the export queue, which sends it to
 * the collector content-addressed (`PUT /v1/payloads/<sha256>`), and the span carries a small,
 * valid-JSON marker in its place plus `tracewright.payload.ref`. Stores resolve the marker back
 * to the whole state on read. Nothing is cut silently: a payload the queue could not take is
 * counted (`tracing.stats().droppedPayloads`) and readers see a `PayloadMissing` marker naming it.
 */
import { PayloadMarker, payloadMarker } from "./conventions.js";
import { hashJson } from "./hash.js";

/** Where an oversized state goes: the export queue's payload side. */
export interface PayloadSink {
  /** States above this many UTF-8 bytes are sent by reference. */
  readonly maxInlineBytes: number;
  /** Queues the payload for sending; false when it could not be queued (it is counted as dropped). */
  offerPayload(hash: string, body: string): boolean;
}

/** The default of `init({ maxInlineBytes })`: 256 KiB, CloudWatch Logs' event size. */
export const DEFAULT_MAX_INLINE_BYTES = 256 * 1024;

/** How much of the JSON text's head a marker previews, at most. */
export const PREVIEW_CHARS = 2048;

/** What a span records for one state: the JSON itself, or a marker and the ref it names. */
export interface Inlined {
  value: string;
  ref?: string;
}

/** Whether `json` is over `max` UTF-8 bytes, without measuring when its length decides. */
export function overInlineLimit(json: string, max: number): boolean {
  if (json.length > max) return true;
  if (json.length * 3 <= max) return false;
  return Buffer.byteLength(json, "utf8") > max;
}

/**
 * The value for `input.value` / `output.value`: `json` when it fits (or nothing takes payloads),
 * else a marker, the payload handed to `sink`. `hash` is the sha256 of `json` when the caller
 * has it already (the input hash).
 */
export function inlineOrRef(json: string, sink: PayloadSink | undefined, hash?: string): Inlined {
  if (sink === undefined || !overInlineLimit(json, sink.maxInlineBytes)) return { value: json };
  const ref = hash ?? hashJson(json);
  sink.offerPayload(ref, json);
  return { value: payloadMarker(PayloadMarker.OFFLOADED, { bytes: Buffer.byteLength(json, "utf8"), preview: previewOf(json, Math.min(PREVIEW_CHARS, Math.floor(sink.maxInlineBytes / 4))), ref }), ref };
}

/** The head of a text, never ending inside a surrogate pair. */
function previewOf(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const code = text.charCodeAt(chars - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? chars - 1 : chars);
}
