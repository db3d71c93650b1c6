import { OpenInference, PayloadMarker, Tracewright, payloadMarker, readOffloadedMarker } from "@tracewright/instrument/conventions";
import type { PayloadMarkerFields } from "@tracewright/instrument/conventions";
import type { SpanRecord } from "./types.js";

/** The attributes that may hold a state sent by reference. */
const STATE_KEYS = [OpenInference.INPUT_VALUE, OpenInference.OUTPUT_VALUE] as const;

/**
 * Puts each state a span sent by reference back in its place, whole, from `lookup` (the store's
 * payloads). A payload the store does not have is never papered over: the attribute then holds
 * `{"$type":"PayloadMissing","bytes","preview","ref"}`, naming what is missing. Changes the spans
 * in place (they are fresh copies from a read) and returns them.
 */
export async function resolvePayloads(spans: SpanRecord[], lookup: (hash: string) => string | undefined | Promise<string | undefined>): Promise<SpanRecord[]> {
  const found: { attributes: SpanRecord["attributes"]; key: string; marker: PayloadMarkerFields }[] = [];
  for (const span of spans) {
    if (span.attributes[Tracewright.PAYLOAD_REF] === undefined) continue;
    for (const key of STATE_KEYS) {
      const marker = readOffloadedMarker(span.attributes[key]);
      if (marker !== undefined) found.push({ attributes: span.attributes, key, marker });
    }
  }
  // Each payload looked up once, all at once: a state passed from step to step is one payload,
  // and a lookup may be a request (the CloudWatch Logs reader).
  const refs = [...new Set(found.map((f) => f.marker.ref))];
  const bodies = new Map(await Promise.all(refs.map(async (ref) => [ref, await lookup(ref)] as const)));
  for (const { attributes, key, marker } of found) attributes[key] = bodies.get(marker.ref) ?? payloadMarker(PayloadMarker.MISSING, marker);
  return spans;
}
