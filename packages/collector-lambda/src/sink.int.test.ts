import { describe, expect, it } from "vitest";
import { openSqliteStore } from "@tracewright/store";
import { CONTRACT_RUN_ID, contractBatch, describeSinkContract } from "./sink.contract.js";
import { storeSink } from "./sink.js";

describeSinkContract("store (SQLite)", () => {
  const store = openSqliteStore({ path: ":memory:" });
  return {
    sink: storeSink(store),
    idempotent: true,
    delivered: () => store.getRunSpans(CONTRACT_RUN_ID),
    teardown: () => store.close(),
  };
});

describe("storeSink", () => {
  it("leaves the store open on close unless asked to close it", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    await storeSink(store).close();
    expect(await store.healthy()).toBe(true);

    const owning = storeSink(store, { closeStore: true });
    await owning.write(contractBatch());
    await owning.close();
    expect(await store.healthy()).toBe(false);
  });

  it("derives the run from the written spans, as the store does on ingest", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const sink = storeSink(store, { name: "embedded" });
    await sink.write(contractBatch());
    expect(sink.name).toBe("embedded");
    expect(await store.getRun(CONTRACT_RUN_ID)).toMatchObject({ runId: CONTRACT_RUN_ID, agent: "contract", status: "error", steps: 3, errors: 2 });
    await store.close();
  });

  it("rejects a write when the store cannot take it, with the store's own error", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const sink = storeSink(store);
    await store.close();
    await expect(sink.write(contractBatch())).rejects.toMatchObject({ code: "STORE_WRITE_FAILED" });
    expect(await sink.healthy?.()).toBe(false);
  });
});
