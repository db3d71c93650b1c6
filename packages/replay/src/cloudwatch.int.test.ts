import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { cloudwatchSink } from "@tracewright/collector-lambda";
import { replayEntryPoints, runScenario } from "@tracewright/reference-agents";
import { CloudWatchLogsStore } from "@tracewright/store/cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_AWS } from "../../collector-lambda/src/fakes/aws.fixtures.js";
import { startFakeLogs } from "../../collector-lambda/src/fakes/logs.fixtures.js";
import type { FakeLogs } from "../../collector-lambda/src/fakes/logs.fixtures.js";
import { replay } from "./engine.js";
import { CollectingProcessor } from "./spans.js";

// A run that lives only in AWS: shipped by the collector's CloudWatch Logs sink (real SDK client,
// local endpoint that enforces the service's limits), read back through the CloudWatch Logs
// store, and replayed from there exactly as from the embedded store.

let logs: FakeLogs;
beforeAll(async () => {
  logs = await startFakeLogs();
});
afterAll(async () => {
  await logs.close();
});

describe("replay from CloudWatch Logs", () => {
  it("reproduces a failed run recorded only in CloudWatch Logs", async () => {
    const group = "/tracewright/replay-test";
    const collected = new CollectingProcessor();
    const provider = new BasicTracerProvider({ spanProcessors: [collected] });
    const recorded = await runScenario("supervisor", "tool_error", { latencyScale: 0, runOptions: { tracer: provider.getTracer("t") } });
    const sink = cloudwatchSink({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: group });
    await sink.write(collected.spans);
    await sink.close();

    const store = new CloudWatchLogsStore({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: group, pollIntervalMs: 1 });
    expect((await store.getRun(recorded.runId))?.status).toBe("error");
    const report = await replay({ store, runId: recorded.runId, mode: "reproduce", agents: replayEntryPoints });
    expect(report.divergences).toEqual([]);
    expect(report).toMatchObject({ outcome: "reproduced", stats: { live: 0, traceIdentical: true } });
    expect(report.error).toContain("503");
    expect((await store.getRun(report.replayRunId))?.replayOf).toBe(recorded.runId);
    await store.close();
  });
});
