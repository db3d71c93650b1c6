import { describe, expect, it } from "vitest";
import { openSqliteStore } from "@tracewright/store";
import { createSinks, parseSinkNames } from "./sinks.js";

describe("sinks by name", () => {
  it("parses comma-separated and repeated names, once each, case-insensitively", () => {
    expect(parseSinkNames("xray, CloudWatch,xray")).toEqual(["xray", "cloudwatch"]);
    expect(parseSinkNames(["store", "langsmith,xray"])).toEqual(["store", "langsmith", "xray"]);
  });

  it("refuses unknown and empty lists, naming the choices", () => {
    expect(() => parseSinkNames("xray,s3")).toThrow('Unknown sink "s3": choose from store, xray, cloudwatch, langsmith, memory.');
    expect(() => parseSinkNames(" , ")).toThrow(/No sink named/);
  });

  it("builds each sink under its name; the store sink needs a store", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const env = { TRACEWRIGHT_LOG_GROUP: "/tw/x", AWS_REGION: "us-east-1" };
    const sinks = createSinks(["store", "xray", "cloudwatch", "langsmith", "memory"], { store, env });
    expect(sinks.map((s) => s.name)).toEqual(["store", "xray", "cloudwatch", "langsmith", "memory"]);
    expect((sinks[2] as unknown as { logGroupName: string }).logGroupName).toBe("/tw/x");
    for (const s of sinks) await s.close();
    await store.close();
    expect(() => createSinks(["store"], { env })).toThrow(/needs a trace store/);
    expect(() => createSinks(["xray"], { env: { TRACEWRIGHT_XRAY_TRANSPORT: "carrier-pigeon" } })).toThrow(/"api" or "daemon"/);
  });
});
