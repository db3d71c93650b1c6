/**
 * The X-Ray sink: each span becomes one segment document (`segment.ts`), sent through an
 * `XRayTransport` (`PutTraceSegments` by default, or the daemon's UDP protocol). A span that
 * cannot become a document, or that X-Ray refuses for good, is reported per record; a transient
 * failure that outlasts the retries rejects the write, so the batch is retried. Documents are sent
 * during `write`; nothing is buffered, so `flush` has nothing to do.
 *
 * X-Ray keeps one segment per id, so a redelivered span replaces its earlier copy.
 */
import { SinkError } from "../errors.js";
import { stderrReporter } from "../sink.js";
import type { RejectionReporter, Sink } from "../sink.js";
import { toSegmentDocument } from "./segment.js";
import type { SegmentDocument, SegmentOptions } from "./segment.js";
import { putTraceSegmentsTransport } from "./transport.js";
import type { XRayTransport } from "./transport.js";

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
  const segmentOptions: SegmentOptions = {
    ...(options.indexedAttributes === undefined ? {} : { indexedAttributes: options.indexedAttributes }),
    ...(options.maxDocumentBytes === undefined ? {} : { maxDocumentBytes: options.maxDocumentBytes }),
    ...((options.logGroupName ?? process.env.TRACEWRIGHT_LOG_GROUP) === undefined ? {} : { logGroupName: options.logGroupName ?? process.env.TRACEWRIGHT_LOG_GROUP }),
  };
  let closed: Promise<void> | undefined;
  return {
    name,
    async write(spans) {
      if (closed !== undefined) throw new SinkError(name, `The sink "${name}" is closed; it takes no more writes.`);
      const documents: SegmentDocument[] = [];
      const traceOf = new Map<string, string>();
      for (const span of spans) {
        try {
          documents.push(toSegmentDocument(span, segmentOptions));
          traceOf.set(span.spanId, span.traceId);
        } catch (error) {
          report({ sink: name, traceId: span.traceId, spanId: span.spanId, reason: `cannot become an X-Ray segment: ${(error as Error).message}` });
        }
      }
      if (documents.length === 0) return;
      let refused;
      try {
        refused = await transport.send(documents);
      } catch (cause) {
        throw new SinkError(name, `X-Ray did not take ${documents.length} segments through ${transport.name}: ${(cause as Error).message}`, { cause });
      }
      for (const r of refused) report({ sink: name, traceId: traceOf.get(r.id) ?? "?", spanId: r.id, reason: `X-Ray refused the segment: ${r.reason}` });
    },
    async flush() {},
    close() {
      closed ??= transport.close();
      return closed;
    },
  };
}
