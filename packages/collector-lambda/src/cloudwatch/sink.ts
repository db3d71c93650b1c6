/**
 * The CloudWatch Logs sink: one JSON event per step with the full input/output state and the
 * ids that join it to X-Ray (the format is `@tracewright/store`'s, which `CloudWatchLogsStore`
 * reads back), batched within PutLogEvents' limits, a state too large for one event split into
 * ordered parts. The log group and stream are created on demand (one that exists is fine);
 * throttling, 5xx and timeouts are retried with jitter; events CloudWatch accepts but rejects by
 * age (`rejectedLogEventsInfo`) are reported per span. Optionally, each step also yields an
 * Embedded Metric Format event (duration, error, tokens by agent and step kind).
 *
 * A run-start span (`tracewright.run.start`) is written as the run's "run started" event: a span
 * event like the others, whose header says `runStart`, so `CloudWatchLogsStore` lists the run as
 * running (agent, start time) before any step ends, and never counts it as a step; it gets no EMF
 * event (it is not a step).
 *
 * Events are written during `write`; nothing is buffered, so `flush` has nothing to do. Never
 * writes to `aws/spans` (nor any reserved `aws/` group).
 */
import { randomUUID } from "node:crypto";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { CloudWatchLogsClientConfig } from "@aws-sdk/client-cloudwatch-logs";
import { CloudWatchLogsWriter, DEFAULT_LOG_GROUP, checkLogGroupName, encodePayloadEvents, encodeSpanEvents } from "@tracewright/store/cloudwatch";
import type { LogEvent } from "@tracewright/store/cloudwatch";
import { tokenCount } from "@tracewright/store";
import type { SpanRecord } from "@tracewright/store";
import { GenAI, isRunStart, Tracewright } from "@tracewright/instrument/conventions";
import type { RetryPolicy } from "@tracewright/instrument/shared";
import { CollectorConfigError, SinkError } from "../errors.js";
import { stderrReporter } from "../sink.js";
import type { RejectionReporter, Sink } from "../sink.js";

export interface CloudWatchSinkOptions {
  /** Default: `cloudwatch`. */
  name?: string;
  /** A client to use (not destroyed on close). Default: one from `clientConfig` and the environment (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `AWS_REGION`, …). */
  client?: CloudWatchLogsClient;
  clientConfig?: CloudWatchLogsClientConfig;
  /** Env: `TRACEWRIGHT_LOG_GROUP`. Default: `/tracewright/spans`. `aws/spans` is refused. */
  logGroupName?: string;
  /** Default: `collector/<yyyy-mm-dd>/<uuid>`, one per sink (so one per Lambda instance). */
  logStreamName?: string;
  /** The largest event, 26 bytes of overhead included. Default: 262,144 (256 KB). */
  maxEventBytes?: number;
  /** Per-call timeout in ms. Default: 10,000. */
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Embedded Metric Format events per step. Env: `TRACEWRIGHT_EMF=1`. Default: off. */
  metrics?: boolean | { namespace?: string };
  /** Where spans that can never be delivered are reported. Default: stderr. */
  report?: RejectionReporter;
  /** The clock. Default: Date.now. */
  now?: () => number;
}

export interface CloudWatchSink extends Sink {
  readonly logGroupName: string;
  readonly logStreamName: string;
}

export function cloudwatchSink(options: CloudWatchSinkOptions = {}): CloudWatchSink {
  const name = options.name ?? "cloudwatch";
  let logGroupName: string;
  try {
    logGroupName = checkLogGroupName(options.logGroupName ?? process.env.TRACEWRIGHT_LOG_GROUP ?? DEFAULT_LOG_GROUP);
  } catch (cause) {
    throw new CollectorConfigError((cause as Error).message, { cause });
  }
  const logStreamName = options.logStreamName ?? `collector/${new Date().toISOString().slice(0, 10)}/${randomUUID()}`;
  const owned = options.client === undefined;
  const client = options.client ?? new CloudWatchLogsClient({ maxAttempts: 1, requestHandler: { requestTimeout: options.requestTimeoutMs ?? 10_000, throwOnRequestTimeout: true }, ...options.clientConfig });
  const writer = new CloudWatchLogsWriter({ client, logGroupName, logStreamName, ...(options.retry === undefined ? {} : { retry: options.retry }) });
  const report = options.report ?? stderrReporter;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? process.env.TRACEWRIGHT_EMF === "1";
  const namespace = typeof metrics === "object" ? (metrics.namespace ?? "Tracewright") : "Tracewright";
  let closed = false;

  return {
    name,
    logGroupName,
    logStreamName,
    async write(spans) {
      if (closed) throw new SinkError(name, `The sink "${name}" is closed; it takes no more writes.`);
      const events: LogEvent[] = [];
      const owner: SpanRecord[] = [];
      const metricEvents: LogEvent[] = [];
      const t = now();
      for (const span of spans) {
        let encoded: LogEvent[];
        try {
          encoded = encodeSpanEvents(span, { now: t, ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }) });
        } catch (error) {
          report({ sink: name, traceId: span.traceId, spanId: span.spanId, reason: `cannot become a log event: ${(error as Error).message}` });
          continue;
        }
        for (const e of encoded) {
          events.push(e);
          owner.push(span);
        }
        if (metrics !== false && !isRunStart(span)) metricEvents.push(emfEvent(span, namespace, encoded[0]?.timestamp ?? t));
      }
      let rejected;
      try {
        rejected = await writer.put(events);
        // EMF goes in calls of their own, marked x-amzn-logs-format: json/emf (CloudWatch's
        // header for "extract metrics here"), so step events are never parsed as metrics.
        if (metricEvents.length > 0) await writer.put(metricEvents, { emf: true });
      } catch (cause) {
        throw new SinkError(name, `CloudWatch Logs did not take ${events.length + metricEvents.length} events for ${logGroupName}: ${(cause as Error).message}`, { cause });
      }
      const seen = new Set<SpanRecord>();
      for (const r of rejected) {
        const span = owner[r.index];
        if (span === undefined || seen.has(span)) continue;
        seen.add(span);
        report({ sink: name, traceId: span.traceId, spanId: span.spanId, reason: `CloudWatch Logs rejected its event as ${r.reason} (rejectedLogEventsInfo)` });
      }
    },
    // A state sent by reference reaches the group whole, as ordered `tw: "payload"` events beside
    // its step's event (which holds the marker); CloudWatchLogsStore resolves it on read.
    async putPayload(hash, body) {
      if (closed) throw new SinkError(name, `The sink "${name}" is closed; it takes no more payloads.`);
      try {
        const rejected = await writer.put(encodePayloadEvents(hash, body, { now: now(), ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }) }));
        if (rejected.length > 0) throw new Error(`${rejected.length} of its events were rejected as ${rejected[0]?.reason ?? "invalid"}`);
      } catch (cause) {
        throw new SinkError(name, `CloudWatch Logs did not take payload ${hash} (${body.length} characters) for ${logGroupName}: ${(cause as Error).message}`, { cause });
      }
    },
    async flush() {},
    async close() {
      if (closed) return;
      closed = true;
      if (owned) client.destroy();
    },
    async healthy() {
      if (closed) return false;
      try {
        await writer.ensure();
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** One Embedded Metric Format event: StepDuration (ms), StepErrors, tokens, by Agent and StepKind. */
function emfEvent(span: SpanRecord, namespace: string, timestamp: number): LogEvent {
  const a = span.attributes;
  const duration = Number((BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1000n) / 1000;
  const agent = typeof a[GenAI.AGENT_NAME] === "string" ? (a[GenAI.AGENT_NAME] as string) : typeof span.resource["service.name"] === "string" ? (span.resource["service.name"] as string) : "unknown";
  const kind = typeof a[Tracewright.STEP_KIND] === "string" ? (a[Tracewright.STEP_KIND] as string) : "span";
  const tokens = (key: string): number => tokenCount(a[key]) ?? 0;
  const body = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [["Agent", "StepKind"]],
          Metrics: [
            { Name: "StepDuration", Unit: "Milliseconds" },
            { Name: "StepErrors", Unit: "Count" },
            { Name: "InputTokens", Unit: "Count" },
            { Name: "OutputTokens", Unit: "Count" },
          ],
        },
      ],
    },
    tw: "metric",
    Agent: agent,
    StepKind: kind,
    StepDuration: duration,
    StepErrors: span.status.code === 2 ? 1 : 0,
    InputTokens: tokens(GenAI.USAGE_INPUT_TOKENS),
    OutputTokens: tokens(GenAI.USAGE_OUTPUT_TOKENS),
    runId: typeof a[Tracewright.RUN_ID] === "string" ? a[Tracewright.RUN_ID] : span.traceId,
    spanId: span.spanId,
  };
  return { timestamp, message: JSON.stringify(body) };
}
