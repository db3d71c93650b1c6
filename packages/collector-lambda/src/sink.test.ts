import { describe, expect, it } from "vitest";
import { SinkError } from "./errors.js";
import { CONTRACT_RUN_ID, contractBatch, describeSinkContract } from "./sink.contract.js";
import { memorySink } from "./sink.js";

describeSinkContract("memory", () => {
  const sink = memorySink();
  return { sink, idempotent: true, delivered: async () => [...sink.spans] };
});

describe("memorySink", () => {
  it("refuses writes once closed, naming itself, and turns unhealthy", async () => {
    const sink = memorySink("scratch");
    await sink.close();
    await expect(sink.write(contractBatch())).rejects.toThrow(new SinkError("scratch", 'The sink "scratch" is closed; it takes no more writes.'));
    expect(await sink.healthy()).toBe(false);
  });

  it("keeps spans in arrival order, the first copy of a duplicate winning", async () => {
    const sink = memorySink();
    const [a, b] = contractBatch();
    if (a === undefined || b === undefined) throw new Error("fixture too short");
    await sink.write([b]);
    await sink.write([a, { ...b, name: "late copy" }]);
    expect(sink.spans.map((s) => [s.spanId, s.name])).toEqual([
      [b.spanId, b.name],
      [a.spanId, a.name],
    ]);
    expect(sink.spans.every((s) => s.attributes["tracewright.run.id"] === CONTRACT_RUN_ID)).toBe(true);
  });
});
