import type { HrTime } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Attributes, SpanRecord, StatusCode } from "@tracewright/store";

function nanos(time: HrTime): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

function attributes(source: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (source === undefined) return out;
  for (const [key, value] of Object.entries(source)) if (value !== undefined) out[key] = value as Attributes[string];
  return out;
}

/** A finished SDK span as the store keeps it: what the collector would have decoded from OTLP. */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const parent = span.parentSpanContext?.spanId;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(parent === undefined ? {} : { parentSpanId: parent }),
    name: span.name,
    kind: span.kind + 1, // the API's SpanKind starts at INTERNAL = 0; OTLP's at UNSPECIFIED = 0
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    status: { code: span.status.code as StatusCode, ...(span.status.message === undefined ? {} : { message: span.status.message }) },
    attributes: attributes(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: nanos(e.time), attributes: attributes(e.attributes) })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: attributes(l.attributes) })),
    resource: attributes(span.resource.attributes as Record<string, unknown>),
    scope: { name: span.instrumentationScope.name, ...(span.instrumentationScope.version === undefined ? {} : { version: span.instrumentationScope.version }) },
  };
}

/** Keeps every finished span of a replay in memory, to be written to the store once it ends. */
export class CollectingProcessor implements SpanProcessor {
  readonly spans: SpanRecord[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(toSpanRecord(span));
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
