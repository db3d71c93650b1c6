import { describe, expect, it } from "vitest";
import { describeSource, resolveSource } from "./source";

const files: Record<string, string> = { "/repo/package.json": JSON.stringify({ workspaces: ["apps/dashboard"] }) };
const readText = (path: string): string | undefined => files[path];
const resolve = (env: Record<string, string>) => resolveSource(env, "/repo/apps/dashboard", readText);

describe("resolveSource", () => {
  it("reads the local store by default, TRACEWRIGHT_DB from the repo root", () => {
    expect(resolve({})).toEqual({ kind: "store", path: "/repo/.tracewright/traces.db" });
    expect(resolve({ TRACEWRIGHT_SOURCE: " Store ", TRACEWRIGHT_DB: "data/t.db" })).toEqual({ kind: "store", path: "/repo/data/t.db" });
  });

  it("reads CloudWatch Logs when told, with the default group and the SDK's own region and endpoint", () => {
    expect(resolve({ TRACEWRIGHT_SOURCE: "cloudwatch" })).toEqual({ kind: "cloudwatch", logGroup: "/tracewright/spans" });
    expect(resolve({ TRACEWRIGHT_SOURCE: "CloudWatch", TRACEWRIGHT_LOG_GROUP: "/team/spans", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL: "http://a", AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: "http://127.0.0.1:4566" })).toEqual({
      kind: "cloudwatch",
      logGroup: "/team/spans",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:4566",
    });
  });

  it("refuses an unknown source and a reserved log group, naming the variable and what to set", () => {
    expect(() => resolve({ TRACEWRIGHT_SOURCE: "xray" })).toThrow(expect.objectContaining({ code: "DASHBOARD_SOURCE_INVALID", message: expect.stringMatching(/TRACEWRIGHT_SOURCE is "xray"; expected store or cloudwatch/) }));
    expect(() => resolve({ TRACEWRIGHT_SOURCE: "cloudwatch", TRACEWRIGHT_LOG_GROUP: "aws/spans" })).toThrow(/TRACEWRIGHT_LOG_GROUP: .*reserved/);
  });
});

describe("describeSource", () => {
  it("names the source and where it is", () => {
    expect(describeSource({ kind: "store", path: "/repo/.tracewright/traces.db" })).toEqual({ title: "Local store", detail: "/repo/.tracewright/traces.db" });
    expect(describeSource({ kind: "cloudwatch", logGroup: "/g", region: "us-east-1", endpoint: "http://127.0.0.1:9" })).toEqual({ title: "CloudWatch Logs", detail: "/g · us-east-1 · http://127.0.0.1:9" });
    expect(describeSource({ kind: "cloudwatch", logGroup: "/g" }).detail).toBe("/g · region from the AWS configuration");
  });
});
