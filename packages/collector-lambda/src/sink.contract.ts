/**
 * The contract every sink passes (STYLE.md §3): the memory sink, the store sink, and the AWS
 * sinks to come, each with a tiny harness that can read back what the sink delivered (from the
 * store, or from a local stand-in of the AWS endpoint). Not part of the build.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildSteps } from "@tracewright/store";
import type { SpanRecord } from "@tracewright/store";
import { makeRunStart } from "@tracewright/store/testing";
import { Exception, GenAI, OpenInference, Tracewright } from "@tracewright/instrument/conventions";
import type { Sink } from "./sink.js";

export interface SinkHarness {
  sink: Sink;
  /** Every span the sink has delivered so far, as records, in any order (and where applicable, of run `CONTRACT_RUN_ID`). */
  delivered(): Promise<SpanRecord[]>;
  /** Whether the sink keeps one copy of a span written twice (the store does; X-Ray need not). */
  idempotent: boolean;
  /** Releases what the harness opened, after the sink is closed. */
  teardown?(): Promise<void>;
}

export const CONTRACT_RUN_ID = "contract-run";
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

/** A root and two children, one failing with an exception event and a link: every part of a record. */
export function contractBatch(): SpanRecord[] {
  const resource = { "service.name": "contract-agent" };
  const scope = { name: "@tracewright/instrument", version: "0.1.0" };
  const base = { traceId: TRACE_ID, resource, scope, events: [], links: [] };
  return [
    {
      ...base,
      spanId: "00f067aa0ba902b7",
      name: "invoke_agent contract",
      kind: 2,
      startTimeUnixNano: "1767225600000000001",
      endTimeUnixNano: "1767225600900000000",
      status: { code: 2, message: "tool failed" },
      attributes: { [Tracewright.RUN_ID]: CONTRACT_RUN_ID, [GenAI.AGENT_NAME]: "contract", [OpenInference.INPUT_VALUE]: '{"q":"ping"}', "nested.map": { list: [1, "two", null, true], depth: { x: 0.5 } } },
    },
    {
      ...base,
      spanId: "00f067aa0ba902b8",
      parentSpanId: "00f067aa0ba902b7",
      name: "chat model",
      kind: 3,
      startTimeUnixNano: "1767225600100000000",
      endTimeUnixNano: "1767225600200000000",
      status: { code: 0 },
      attributes: { [Tracewright.RUN_ID]: CONTRACT_RUN_ID, [GenAI.USAGE_INPUT_TOKENS]: 12, "big.int": "9223372036854775807" },
    },
    {
      ...base,
      spanId: "00f067aa0ba902b9",
      parentSpanId: "00f067aa0ba902b7",
      name: "execute_tool search",
      kind: 3,
      startTimeUnixNano: "1767225600300000000",
      endTimeUnixNano: "1767225600800000000",
      status: { code: 2, message: "timeout" },
      attributes: { [Tracewright.RUN_ID]: CONTRACT_RUN_ID, [GenAI.TOOL_NAME]: "search" },
      events: [{ name: Exception.EVENT_NAME, timeUnixNano: "1767225600799999999", attributes: { [Exception.TYPE]: "TimeoutError", [Exception.MESSAGE]: "timeout" } }],
      links: [{ traceId: TRACE_ID, spanId: "00f067aa0ba902b8", attributes: { "link.reason": "follows" } }],
    },
  ];
}

const bySpanId = (a: SpanRecord, b: SpanRecord): number => a.spanId.localeCompare(b.spanId);

export function describeSinkContract(name: string, setup: () => Promise<SinkHarness> | SinkHarness): void {
  describe(`the ${name} sink (sink contract)`, () => {
    let harness: SinkHarness;
    beforeEach(async () => {
      harness = await setup();
    });
    afterEach(async () => {
      await harness.sink.close();
      await harness.teardown?.();
    });

    it("has a name for logs and health reports", () => {
      expect(harness.sink.name).toMatch(/^[a-z][a-z0-9-]*$/);
    });

    it("delivers every span of a batch whole, once flushed", async () => {
      await harness.sink.write(contractBatch());
      await harness.sink.flush();
      expect((await harness.delivered()).sort(bySpanId)).toEqual(contractBatch().sort(bySpanId));
    });

    it("never delivers a run-start span as a step: the run's steps read back are the ones written", async () => {
      const batch = contractBatch();
      // As the instrumentation sends them: the run-start span in an early batch, the run's spans when they end.
      await harness.sink.write([makeRunStart(batch[0] as SpanRecord)]);
      await harness.sink.write(batch);
      await harness.sink.flush();
      expect(buildSteps(await harness.delivered())).toEqual(buildSteps(batch));
    });

    it("takes an empty batch without delivering anything", async () => {
      await harness.sink.write([]);
      await harness.sink.flush();
      expect(await harness.delivered()).toEqual([]);
    });

    it("takes the same batch twice (a retried export); an idempotent sink keeps one copy", async () => {
      await harness.sink.write(contractBatch());
      await harness.sink.write(contractBatch().slice(1));
      await harness.sink.flush();
      const delivered = await harness.delivered();
      const ids = new Set(delivered.map((s) => s.spanId));
      expect([...ids].sort()).toEqual(contractBatch().map((s) => s.spanId).sort());
      if (harness.idempotent) expect(delivered).toHaveLength(3);
    });

    it("reports itself healthy while open", async () => {
      expect(harness.sink.healthy === undefined || (await harness.sink.healthy())).toBe(true);
    });

    it("closes idempotently", async () => {
      await harness.sink.close();
      await expect(harness.sink.close()).resolves.toBeUndefined();
    });
  });
}
