import { createSocket } from "node:dgram";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeRunStart, makeSpan } from "@tracewright/store/testing";
import type { SpanRecord } from "@tracewright/store";
import { FAKE_AWS } from "../fakes/aws.fixtures.js";
import { startFakeXRay } from "../fakes/xray.fixtures.js";
import type { FakeXRay } from "../fakes/xray.fixtures.js";
import { contractBatch, describeSinkContract } from "../sink.contract.js";
import type { SpanRejection } from "../sink.js";
import { fromSegmentDocument, MAX_DOCUMENT_BYTES, OFFLOADED, toSegmentDocument } from "./segment.js";
import { xraySink } from "./sink.js";
import { DAEMON_HEADER, MAX_DAEMON_DOCUMENT_BYTES, daemonAddress, daemonTransport, putTraceSegmentsTransport } from "./transport.js";

const fastRetry = { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 };

function transportFor(fake: FakeXRay, requestTimeoutMs = 2_000) {
  return putTraceSegmentsTransport({ clientConfig: { endpoint: fake.url, ...FAKE_AWS }, retry: fastRetry, requestTimeoutMs });
}

function run(n: number, runId = "r-many"): SpanRecord[] {
  const spans = [makeSpan({ run: runId, key: "supervisor", startMs: 0, endMs: n + 10 })];
  for (let i = 1; i < n; i++) spans.push(makeSpan({ run: runId, key: `supervisor/tool:t#${i}`, kind: "tool", parent: "supervisor", startMs: i, endMs: i + 1 }));
  return spans;
}

let fake: FakeXRay;
describeSinkContract("xray (PutTraceSegments)", async () => {
  fake = await startFakeXRay();
  return {
    sink: xraySink({ transport: transportFor(fake) }),
    idempotent: true, // X-Ray keeps one segment per id
    delivered: async () => fake.documents().map(fromSegmentDocument),
    teardown: () => fake.close(),
  };
});

describeSinkContract("xray (PutTraceSegments, 30% injected failures)", async () => {
  fake = await startFakeXRay();
  fake.setFaults({ rate: 0.3, seed: 7 });
  return {
    sink: xraySink({ transport: transportFor(fake, 300) }),
    idempotent: true,
    delivered: async () => fake.documents().map(fromSegmentDocument),
    teardown: () => fake.close(),
  };
});

describe("xraySink over PutTraceSegments", () => {
  let xray: FakeXRay;
  let rejections: SpanRejection[];
  beforeEach(async () => {
    xray = await startFakeXRay();
    rejections = [];
  });
  afterEach(async () => {
    await xray.close();
  });
  const sinkFor = (timeout = 2_000) => xraySink({ transport: transportFor(xray, timeout), report: (r) => rejections.push(r) });

  it("shows a run in progress from its run-start span, until the root's complete segment overwrites it", async () => {
    const sink = sinkFor();
    const batch = contractBatch();
    const root = batch[0] as SpanRecord;
    await sink.write([makeRunStart(root)]);
    const [inProgress, ...others] = xray.documents().map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(others).toEqual([]);
    expect(inProgress).toMatchObject({ id: root.spanId, in_progress: true, annotations: { tracewright_run_id: "contract-run" } });
    expect(inProgress?.end_time).toBeUndefined();
    await sink.write(batch);
    await sink.close();
    const stored = xray.documents().map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(stored).toHaveLength(3);
    expect(stored.find((d) => d.id === root.spanId)).toMatchObject({ end_time: 1767225600.9, fault: true });
    expect(stored.some((d) => d.in_progress === true)).toBe(false);
    expect(rejections).toEqual([]);
  });

  it("tries an in-progress segment once: a throttled one is reported, not retried, and the batch still succeeds", async () => {
    const sink = sinkFor();
    const batch = contractBatch();
    const root = batch[0] as SpanRecord;
    const marker = makeRunStart(root);
    xray.failNext("throttle");
    // Retried, it could land after the complete segment below and show the ended run in progress.
    await sink.write([marker, ...batch.slice(1)]);
    expect(xray.requests).toBe(2);
    expect(xray.documents().some((d) => (JSON.parse(d) as { in_progress?: boolean }).in_progress === true)).toBe(false);
    expect(rejections).toEqual([{ sink: "xray", traceId: root.traceId, spanId: marker.spanId, reason: expect.stringMatching(/^the in-progress segment was not sent \(tried once; the run's complete segment follows\): /) as unknown as string }]);
    await sink.write([root]);
    await sink.close();
    expect(xray.documents()).toHaveLength(3);
  });

  it("sends no in-progress segment for a run whose root ends in the same batch (a short run)", async () => {
    const sink = sinkFor();
    const batch = contractBatch();
    await sink.write([makeRunStart(batch[0] as SpanRecord), ...batch]);
    await sink.close();
    expect(xray.received).toBe(3);
  });

  it("sends at most 50 documents a call: 51 spans take two calls, all stored", async () => {
    const sink = sinkFor();
    await sink.write(run(51));
    await sink.close();
    expect(xray.requests).toBe(2);
    expect(xray.documents()).toHaveLength(51);
    expect(rejections).toEqual([]);
  });

  it("retries throttling, 5xx and timeouts with backoff, then delivers", async () => {
    const sink = sinkFor(250);
    xray.failNext("throttle");
    xray.failNext("server-error");
    xray.failNext("timeout");
    await sink.write(contractBatch());
    await sink.close();
    expect(xray.requests).toBe(4);
    expect(xray.faults).toEqual({ throttle: 1, "server-error": 1, timeout: 1 });
    expect(xray.documents()).toHaveLength(3);
  });

  it("rejects the write (so the batch is retried) when throttling outlasts the retries", async () => {
    const sink = sinkFor();
    xray.failNext("throttle", fastRetry.attempts);
    await expect(sink.write(contractBatch())).rejects.toMatchObject({ code: "SINK_WRITE_FAILED", sink: "xray" });
    expect(xray.documents()).toHaveLength(0);
    await sink.write(contractBatch());
    expect(xray.documents()).toHaveLength(3);
    await sink.close();
  });

  it("resends unprocessed segments with a transient error, and reports the others per span", async () => {
    const sink = sinkFor();
    xray.leaveUnprocessed("ThrottledException");
    xray.leaveUnprocessed("InvalidSegment");
    const batch = contractBatch();
    await sink.write(batch);
    await sink.close();
    expect(xray.documents().map((d) => (JSON.parse(d) as { id: string }).id).sort()).toEqual([batch[0]?.spanId, batch[2]?.spanId].sort());
    expect(rejections).toEqual([{ sink: "xray", traceId: batch[1]?.traceId, spanId: batch[1]?.spanId, reason: "X-Ray refused the segment: InvalidSegment: injected" }]);
  });

  it("reports a span that cannot become a segment, and delivers the rest", async () => {
    const sink = sinkFor();
    const [a, b] = contractBatch();
    await sink.write([a as SpanRecord, { ...(b as SpanRecord), traceId: "0123" }]);
    await sink.close();
    expect(xray.documents()).toHaveLength(1);
    expect(rejections).toEqual([expect.objectContaining({ spanId: b?.spanId, reason: expect.stringContaining("cannot become an X-Ray segment") })]);
  });

  it("never sends a document over 64 KB, however large the state", async () => {
    const sink = sinkFor();
    const big = "é".repeat(200_000);
    await sink.write([makeSpan({ run: "r", key: "supervisor", input: { big }, output: { big } })]);
    await sink.close();
    expect(xray.documents()).toHaveLength(1);
    expect(xray.largestDocument).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    expect(rejections).toEqual([]);
  });

  it("delivers a span with a URL or a name larger than a document, cut to fit, instead of having X-Ray refuse it", async () => {
    const sink = sinkFor();
    const huge = "a".repeat(100_000);
    const url = makeSpan({ run: "r", key: "supervisor/tool:fetch#0", kind: "tool", parent: "supervisor", attributes: { "url.full": `https://example.com/${huge}`, "http.request.method": "GET" } });
    const named = { ...makeSpan({ run: "r", key: "supervisor/node:n#0", parent: "supervisor" }), name: huge };
    await sink.write([url, named]);
    await sink.close();
    expect(rejections).toEqual([]);
    expect(xray.documents()).toHaveLength(2);
    expect(xray.largestDocument).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
  });

  it("refuses writes once closed", async () => {
    const sink = sinkFor();
    await sink.close();
    await expect(sink.write(contractBatch())).rejects.toThrow(/closed/);
  });

  it("at a 30% failure rate, every span sent is found exactly once", async () => {
    xray.setFaults({ rate: 0.3, seed: 42 });
    const sink = xraySink({ transport: putTraceSegmentsTransport({ clientConfig: { endpoint: xray.url, ...FAKE_AWS }, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, requestTimeoutMs: 200 }), report: (r) => rejections.push(r) });
    const spans = run(600, "r-flaky");
    let failedWrites = 0;
    for (let i = 0; i < spans.length; i += 60) {
      // The collector answers 503 and the exporter resends: here, the loop resends.
      for (;;) {
        try {
          await sink.write(spans.slice(i, i + 60));
          break;
        } catch {
          failedWrites++;
        }
      }
    }
    await sink.close();
    const ids = xray.documents().map((d) => (JSON.parse(d) as { id: string }).id);
    expect(ids).toHaveLength(600);
    expect(new Set(ids).size).toBe(600);
    expect(new Set(ids)).toEqual(new Set(spans.map((s) => s.spanId)));
    expect(xray.faults.throttle + xray.faults["server-error"] + xray.faults.timeout).toBeGreaterThan(0);
    expect(rejections).toEqual([]);
    expect(failedWrites).toBeGreaterThanOrEqual(0);
  });
});

describeSinkContract("xray (daemon UDP, a real listener)", async () => {
  const listener = createSocket("udp4");
  const datagrams: string[] = [];
  await new Promise<void>((resolve) => listener.bind(0, "127.0.0.1", resolve));
  listener.on("message", (msg) => datagrams.push(msg.toString("utf8")));
  const { port } = listener.address() as AddressInfo;
  return {
    sink: xraySink({ transport: daemonTransport({ address: `127.0.0.1:${port}` }) }),
    idempotent: false, // the daemon forwards every copy; X-Ray then keeps one per id
    delivered: async () => {
      // UDP on loopback: wait until the datagrams sent so far have landed.
      for (let i = 0, last = -1; i < 50 && last !== datagrams.length; i++) {
        last = datagrams.length;
        await new Promise((r) => setTimeout(r, 20));
      }
      // An in-progress segment stands for a root that has not ended (X-Ray replaces it with the
      // complete one, sent later); it is not a span.
      const documents = datagrams.map((d) => d.slice(DAEMON_HEADER.length));
      return documents.filter((d) => (JSON.parse(d) as { in_progress?: boolean }).in_progress !== true).map(fromSegmentDocument);
    },
    teardown: async () => {
      listener.close();
    },
  };
});

describe("daemonTransport (UDP)", () => {
  it("parses AWS_XRAY_DAEMON_ADDRESS in both forms", () => {
    expect(daemonAddress(undefined)).toEqual({ host: "127.0.0.1", port: 2000 });
    expect(daemonAddress("10.0.0.1:3000")).toEqual({ host: "10.0.0.1", port: 3000 });
    expect(daemonAddress("tcp:127.0.0.1:2000 udp:127.0.0.2:2001")).toEqual({ host: "127.0.0.2", port: 2001 });
    expect(daemonAddress("udp:127.0.0.3:2002 tcp:127.0.0.1:2000")).toEqual({ host: "127.0.0.3", port: 2002 });
    for (const bad of ["nonsense", "udp:127.0.0.1:2000", "udp:127.0.0.1:2000 udp:127.0.0.2:2001", "tcp=127.0.0.1:2000 udp=127.0.0.2:2001"]) expect(() => daemonAddress(bad), bad).toThrow(/AWS_XRAY_DAEMON_ADDRESS/);
  });

  describe("against aws-xray-sdk-core, what the X-Ray SDK for Node.js does inside Lambda", () => {
    const require = createRequire(import.meta.url);
    let saved: string | undefined;
    beforeEach(() => {
      // Set, it makes the SDK ignore the addresses given below.
      saved = process.env.AWS_XRAY_DAEMON_ADDRESS;
      delete process.env.AWS_XRAY_DAEMON_ADDRESS;
    });
    afterEach(() => {
      if (saved !== undefined) process.env.AWS_XRAY_DAEMON_ADDRESS = saved;
    });

    it("reads the daemon's address as the SDK reads it", () => {
      const config = require("aws-xray-sdk-core/dist/lib/daemon_config") as { setDaemonAddress(address: string): void; udp_ip: string; udp_port: number | string };
      for (const address of ["10.0.0.1:3000", "169.254.79.129:2000", "tcp:127.0.0.1:2000 udp:127.0.0.2:2001", "udp:127.0.0.3:2002 tcp:127.0.0.1:2000"]) {
        config.setDaemonAddress(address);
        expect(daemonAddress(address), address).toEqual({ host: config.udp_ip, port: Number(config.udp_port) });
      }
    });

    it("sends a document as the SDK's segment emitter sends it, byte for byte", async () => {
      const listener = createSocket("udp4");
      const datagrams: Buffer[] = [];
      await new Promise<void>((resolve) => listener.bind(0, "127.0.0.1", resolve));
      listener.on("message", (msg) => datagrams.push(msg));
      const { port } = listener.address() as AddressInfo;
      const emitter = require("aws-xray-sdk-core/dist/lib/segment_emitter") as { setDaemonAddress(address: string): void; send(segment: { format(): string; trace_id: string; id: string; type?: string }): void };
      emitter.setDaemonAddress(`127.0.0.1:${port}`);
      const doc = toSegmentDocument(makeSpan({ run: "r-sdk", key: "supervisor", attributes: { "gen_ai.agent.name": "supervisor", note: "é ✓" } }));
      const parsed = JSON.parse(doc.json) as { trace_id: string; id: string };
      emitter.send({ format: () => doc.json, trace_id: parsed.trace_id, id: parsed.id });
      for (let i = 0; i < 100 && datagrams.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      const transport = daemonTransport({ address: `127.0.0.1:${port}` });
      expect(await transport.send([doc])).toEqual([]);
      await transport.close();
      for (let i = 0; i < 100 && datagrams.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      listener.close();
      expect(datagrams).toHaveLength(2);
      expect((datagrams[1] as Buffer).equals(datagrams[0] as Buffer)).toBe(true);
    });
  });

  it("fits every document into one datagram: one X-Ray would take at 64 KB but UDP cannot carry with the header is shrunk, not failed for ever", async () => {
    const listener = createSocket("udp4");
    const datagrams: Buffer[] = [];
    await new Promise<void>((resolve) => listener.bind(0, "127.0.0.1", resolve));
    listener.on("message", (msg) => datagrams.push(msg));
    const { port } = listener.address() as AddressInfo;
    const rejections: SpanRejection[] = [];
    const sink = xraySink({ transport: daemonTransport({ address: `127.0.0.1:${port}` }), report: (r) => rejections.push(r) });
    const sized = (n: number): SpanRecord => makeSpan({ run: "r-udp", key: "supervisor", attributes: { filler: "x".repeat(n) } });
    // A 65,500-byte document: under X-Ray's 64 KB, over the 65,507 bytes of a UDP datagram once the 30-byte header is on.
    const span = sized(65_500 - Buffer.byteLength(toSegmentDocument(sized(0)).json));
    expect(Buffer.byteLength(toSegmentDocument(span).json)).toBe(65_500);
    await sink.write([span]);
    await sink.close();
    for (let i = 0; i < 100 && datagrams.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    listener.close();
    expect(rejections).toEqual([]);
    expect(datagrams).toHaveLength(1);
    expect((datagrams[0] as Buffer).length).toBeLessThanOrEqual(65_507);
    const doc = JSON.parse((datagrams[0] as Buffer).toString("utf8").slice(DAEMON_HEADER.length)) as { id: string; metadata: { default: Record<string, unknown> } };
    expect(doc.id).toBe(span.spanId);
    expect(doc.metadata.default.filler).toMatchObject({ [OFFLOADED]: { key: "filler" } });
  });

  it("refuses, rather than fails for ever, a document no datagram can carry (EMSGSIZE)", async () => {
    const listener = createSocket("udp4");
    await new Promise<void>((resolve) => listener.bind(0, "127.0.0.1", resolve));
    const { port } = listener.address() as AddressInfo;
    const transport = daemonTransport({ address: `127.0.0.1:${port}` });
    expect(transport.maxDocumentBytes).toBe(MAX_DAEMON_DOCUMENT_BYTES);
    const small = toSegmentDocument(makeSpan({ run: "r", key: "supervisor" }));
    const big = { ...small, id: "00000000000000aa", json: JSON.stringify({ pad: "x".repeat(MAX_DAEMON_DOCUMENT_BYTES) }) };
    const refused = await transport.send([big, small]);
    await transport.close();
    listener.close();
    expect(refused).toEqual([{ id: "00000000000000aa", reason: expect.stringMatching(/EMSGSIZE/) as unknown as string }]);
  });

  it("sends each document as one datagram with the daemon header, to a real UDP listener", async () => {
    const listener = createSocket("udp4");
    const datagrams: string[] = [];
    await new Promise<void>((resolve) => listener.bind(0, "127.0.0.1", resolve));
    listener.on("message", (msg) => datagrams.push(msg.toString("utf8")));
    const { port } = listener.address() as AddressInfo;
    const sink = xraySink({ transport: daemonTransport({ address: `127.0.0.1:${port}` }) });
    await sink.write(contractBatch());
    await sink.close();
    for (let i = 0; i < 100 && datagrams.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    listener.close();
    expect(datagrams).toHaveLength(3);
    for (const d of datagrams) expect(d.startsWith(DAEMON_HEADER)).toBe(true);
    const spans = datagrams.map((d) => fromSegmentDocument(d.slice(DAEMON_HEADER.length)));
    expect(spans.map((s) => s.spanId).sort()).toEqual(contractBatch().map((s) => s.spanId).sort());
  });
});
