/**
 * The X-Ray sink: each span becomes one segment document (`segment.ts`), sent through an
 * `XRayTransport` (`PutTraceSegments` by default, or the daemon's UDP protocol). A span that
 * cannot become a document, or that X-Ray refuses for good, is reported per record; a transient
 * failure that outlasts the retries rejects the write, so the batch is retried. Documents are sent
 * during `write`; nothing is buffered, so `flush` has nothing to do.
 *
 * X-Ray keeps one segment per id, so a redelivered span replaces its earlier copy.
 *
 * A run-start span (`tracewright.run.start`) is not a step and gets no document of its own: it
 * yields its root's in-progress segment (`toInProgressSegment`), so a long run shows in X-Ray
 * while it runs — unless the same batch carries the root itself (a short run), whose complete
 * segment is then the only one sent.
 */
import { isRunStart } from "@tracewright/instrument/conventions";
import { SinkError } from "../errors.js";
import { stderrReporter } from "../sink.js";
import type { RejectionReporter, Sink } from "../sink.js";
import { MAX_DOCUMENT_BYTES, toInProgressSegment, toSegmentDocument } from "./segment.js";
import type { SegmentDocument, SegmentOptions } from "./segment.js";
import { putTraceSegmentsTransport } from "./transport.js";
import type { RefusedDocument, XRayTransport } from "./transport.js";

export interface XRaySinkOptions extends SegmentOptions {
  /** Default: `xray`. */
  name?: string;
  /** Default: `putTraceSegmentsTransport()` (the SDK client from the environment). */
  transport?: XRayTransport;
  /** Where spans that can never be delivered are reported. Default: stderr. */
  report?: RejectionReporter;
}

export function xraySink(options: XRaySinkOptions = {}): Sink {
  const name = options.name ?? "xray";
  const transport = options.transport ?? putTraceSegmentsTransport();
  const report = options.report ?? stderrReporter;
  // Within X-Ray's limit and the transport's (the daemon's datagram is a little smaller).
  const maxDocumentBytes = Math.min(options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES, transport.maxDocumentBytes ?? MAX_DOCUMENT_BYTES);
  const segmentOptions: SegmentOptions = {
    ...(options.indexedAttributes === undefined ? {} : { indexedAttributes: options.indexedAttributes }),
    maxDocumentBytes,
    ...((options.logGroupName ?? process.env.TRACEWRIGHT_LOG_GROUP) === undefined ? {} : { logGroupName: options.logGroupName ?? process.env.TRACEWRIGHT_LOG_GROUP }),
  };
  let closed: Promise<void> | undefined;
  return {
    name,
    async write(spans) {
      if (closed !== undefined) throw new SinkError(name, `The sink "${name}" is closed; it takes no more writes.`);
      const documents: SegmentDocument[] = [];
      /** In-progress root segments: sent apart, once (see below). */
      const inProgressDocuments: SegmentDocument[] = [];
      /** Document id → the span it was made from, for per-record reports. */
      const sourceOf = new Map<string, { traceId: string; spanId: string }>();
      const inBatch = new Set(spans.map((span) => `${span.traceId}/${span.spanId}`));
      for (const span of spans) {
        try {
          if (isRunStart(span)) {
            // The root's complete segment in this batch makes an in-progress one moot (and racy).
            const inProgress = inBatch.has(`${span.traceId}/${span.parentSpanId ?? ""}`) ? undefined : toInProgressSegment(span);
            if (inProgress !== undefined) {
              inProgressDocuments.push(inProgress);
              sourceOf.set(inProgress.id, { traceId: span.traceId, spanId: span.spanId });
            }
            continue;
          }
          documents.push(toSegmentDocument(span, segmentOptions));
          sourceOf.set(span.spanId, { traceId: span.traceId, spanId: span.spanId });
        } catch (error) {
          report({ sink: name, traceId: span.traceId, spanId: span.spanId, reason: `cannot become an X-Ray segment: ${(error as Error).message}` });
        }
      }
      const reportRefused = (refused: readonly RefusedDocument[], what: string): void => {
        for (const r of refused) report({ sink: name, traceId: sourceOf.get(r.id)?.traceId ?? "?", spanId: sourceOf.get(r.id)?.spanId ?? r.id, reason: `${what}: ${r.reason}` });
      };
      // An in-progress segment is tried once, never retried nor the batch failed for it: retried
      // through throttling, it could land after the complete segment (sent meanwhile by another
      // write) and show the ended run in progress again. Missing it loses nothing but the early
      // view; it is reported, not dropped silently.
      if (inProgressDocuments.length > 0) {
        try {
          reportRefused(await transport.send(inProgressDocuments, { once: true }), "X-Ray refused the in-progress segment");
        } catch (error) {
          reportRefused(
            inProgressDocuments.map((d) => ({ id: d.id, reason: (error as Error).message })),
            "the in-progress segment was not sent (tried once; the run's complete segment follows)",
          );
        }
      }
      if (documents.length === 0) return;
      let refused;
      try {
        refused = await transport.send(documents);
      } catch (cause) {
        throw new SinkError(name, `X-Ray did not take ${documents.length} segments through ${transport.name}: ${(cause as Error).message}`, { cause });
      }
      reportRefused(refused, "X-Ray refused the segment");
    },
    async flush() {},
    close() {
      closed ??= transport.close();
      return closed;
    },
  };
}
