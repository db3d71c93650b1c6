/**
 * The whole AWS path on loopback: a real OpenTelemetry SDK (with X-Ray-compatible ids) exports
 * OTLP/protobuf to the collector, which writes X-Ray segments and CloudWatch Logs events to local
 * endpoints; the CloudWatch Logs reader reads the run back, and an offloaded X-Ray value is
 * followed to the log event that holds it.
 */
import { afterEach, expect, it } from "vitest";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { XRayIdGenerator } from "@tracewright/instrument";
import { OpenInference, Tracewright } from "@tracewright/instrument/conventions";
import { CloudWatchLogsStore, decodeSpanEvents } from "@tracewright/store";
import { cloudwatchSink } from "./cloudwatch/sink.js";
import { FAKE_AWS } from "./fakes/aws.fixtures.js";
import { startFakeLogs } from "./fakes/logs.fixtures.js";
import { startFakeXRay } from "./fakes/xray.fixtures.js";
import { RUN_ID, recordAgentRun } from "./sdk.fixtures.js";
import { startCollector } from "./server.js";
import { MAX_DOCUMENT_BYTES, OFFLOADED } from "./xray/segment.js";
import { xraySink } from "./xray/sink.js";
import { putTraceSegmentsTransport } from "./xray/transport.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it("exports a run from the SDK through the collector to X-Ray and CloudWatch Logs, joined by trace and span id", async () => {
  const xray = await startFakeXRay();
  const logs = await startFakeLogs();
  cleanups.push(() => xray.close(), () => logs.close());
  const group = "/tracewright/e2e";
  const aws = { endpoint: "", ...FAKE_AWS };
  const collector = await startCollector({
    port: 0,
    log: () => {},
    sinks: [
      xraySink({ transport: putTraceSegmentsTransport({ clientConfig: { ...aws, endpoint: xray.url } }), logGroupName: group }),
      cloudwatchSink({ clientConfig: { ...aws, endpoint: logs.url }, logGroupName: group }),
    ],
  });
  cleanups.push(() => collector.close());

  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "research-agent" }),
    idGenerator: new XRayIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: collector.tracesUrl }))],
  });
  const tracer = provider.getTracer("e2e");
  recordAgentRun(tracer);
  const big = JSON.stringify({ document: "ж".repeat(150_000) });
  tracer.startSpan("read document", { attributes: { [Tracewright.RUN_ID]: "big-run", [Tracewright.STEP_KIND]: "tool", [OpenInference.INPUT_VALUE]: big } }).end();
  await provider.forceFlush();
  await provider.shutdown();

  const docs = xray.documents().map((d) => JSON.parse(d) as { id: string; trace_id: string; metadata: { default: Record<string, Record<string, Record<string, string>>> } });
  expect(docs).toHaveLength(6);
  for (const d of docs) {
    // XRayIdGenerator: the trace id's first 8 hex digits are the epoch seconds at which it was made.
    expect(Math.abs(parseInt(d.trace_id.slice(2, 10), 16) - Date.now() / 1000)).toBeLessThan(120);
  }
  expect(xray.largestDocument).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);

  // The run reads back whole from CloudWatch Logs, joined to X-Ray by trace and span id.
  const store = new CloudWatchLogsStore({ clientConfig: { ...aws, endpoint: logs.url }, logGroupName: group, pollIntervalMs: 1 });
  cleanups.push(() => store.close());
  const spans = await store.getRunSpans(RUN_ID);
  expect(spans).toHaveLength(5);
  for (const s of spans) expect(docs.find((d) => d.id === s.spanId)?.trace_id).toBe(`1-${s.traceId.slice(0, 8)}-${s.traceId.slice(8)}`);
  expect(await store.getRun(RUN_ID)).toMatchObject({ agent: "supervisor", status: "error", steps: 5 });

  // The big state left the X-Ray document; its pointer finds the log events that hold it.
  const bigDoc = docs.find((d) => d.metadata.default[OpenInference.INPUT_VALUE]?.[OFFLOADED] !== undefined);
  const pointer = bigDoc?.metadata.default[OpenInference.INPUT_VALUE]?.[OFFLOADED] as Record<string, string> | undefined;
  expect(pointer).toMatchObject({ logGroup: group, runId: "big-run" });
  const client = new CloudWatchLogsClient({ ...aws, endpoint: logs.url });
  cleanups.push(async () => client.destroy());
  const found = await client.send(new FilterLogEventsCommand({ logGroupName: pointer?.logGroup, filterPattern: pointer?.filterPattern }));
  const [span] = decodeSpanEvents((found.events ?? []).map((e) => e.message ?? "")).spans;
  expect(span?.attributes[OpenInference.INPUT_VALUE]).toBe(big);
});
