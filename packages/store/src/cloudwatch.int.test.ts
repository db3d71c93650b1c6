import { createHash } from "node:crypto";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { describe, expect, it } from "vitest";
import { FAKE_AWS } from "../../collector-lambda/src/fakes/aws.fixtures.js";
import { startFakeLogs } from "../../collector-lambda/src/fakes/logs.fixtures.js";
import { CloudWatchLogsStore, CloudWatchLogsWriter, encodePayloadEvents, encodeSpanEvents } from "./cloudwatch.js";
import type { LogEvent } from "./cloudwatch.js";
import { describeQueryContract } from "./store.contract.js";
import { makeSpan } from "./testing.js";

// The dashboard's queries over CloudWatch Logs, through the real SDK client against the local
// endpoint: the same contract as the embedded store, text search excepted (refused, not ignored).
describeQueryContract(
  "CloudWatch Logs (local endpoint)",
  async () => {
    const logs = await startFakeLogs();
    const store = new CloudWatchLogsStore({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: "/tracewright/queries", pollIntervalMs: 1 });
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      await logs.close();
    };
    return store;
  },
  { textSearch: false },
);

describe("CloudWatchLogsStore over copies written by two collectors", () => {
  it("reads a large span and a payload each written whole by two writers that cut parts differently, never mixing their parts", async () => {
    const logs = await startFakeLogs();
    const client = new CloudWatchLogsClient({ endpoint: logs.url, ...FAKE_AWS });
    try {
      const group = "/tracewright/copies";
      const span = makeSpan({ run: "big", key: "supervisor", input: { text: "lorem ipsum dolor ".repeat(20_000) } });
      const body = JSON.stringify({ docs: "ü".repeat(150_000) });
      const hash = createHash("sha256").update(body).digest("hex");
      // The exporter's retry of one batch reached a Lambda collector and a local one (each its own stream), configured with
      // different event limits, writing at the same time: their events interleave in the group.
      const now = Date.now();
      for (const [copy, [stream, maxEventBytes]] of ([["lambda", 60_000], ["local", 100_000]] as const).entries()) {
        const writer = new CloudWatchLogsWriter({ client, logGroupName: group, logStreamName: stream });
        const interleaved = (events: LogEvent[], from: number) => events.map((event, i) => ({ ...event, timestamp: from + 2 * i + copy }));
        await writer.put([...interleaved(encodeSpanEvents(span, { maxEventBytes, now }), now), ...interleaved(encodePayloadEvents(hash, body, { maxEventBytes, now }), now + 1000)]);
      }
      const store = new CloudWatchLogsStore({ client, logGroupName: group, pollIntervalMs: 1 });
      expect(await store.getRunSpans("big")).toEqual([span]);
      expect(await store.getPayload(hash)).toBe(body);
      await store.close();
    } finally {
      client.destroy();
      await logs.close();
    }
  });
});
