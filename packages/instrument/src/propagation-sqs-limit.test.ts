import { describe, expect, it } from "vitest";
import { fromSqsMessage, mergeSqsAttributes, SQS_MAX_MESSAGE_ATTRIBUTES, toSqsSystemAttributes, traceparentToXray, xrayToTraceparent } from "./propagation.js";
import type { Carried } from "./propagation.js";

const carried: Carried = { traceparent: "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", tracestate: "v=1", runId: "5759e988bd862e3fe1be46a994272793", parentKey: "choreography/message:x#0" };
const userAttributes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`user${i}`, { DataType: "String", StringValue: `v${i}` }]));

describe("SQS's 10-attribute limit", () => {
  it("adds all four carried attributes when there is room, keeping the user's", () => {
    const merged = mergeSqsAttributes(userAttributes(2), carried);
    expect(Object.keys(merged)).toEqual(["user0", "user1", "traceparent", "tracewright-run-id", "tracewright-parent-key", "tracestate"]);
    expect(fromSqsMessage({ MessageAttributes: merged })).toEqual(carried);
  });

  it("fills the remaining room most useful first and never passes 10", () => {
    const merged = mergeSqsAttributes(userAttributes(8), carried);
    expect(Object.keys(merged)).toHaveLength(SQS_MAX_MESSAGE_ATTRIBUTES);
    expect(fromSqsMessage({ MessageAttributes: merged })).toEqual({ traceparent: carried.traceparent, runId: carried.runId });
  });

  it("adds nothing to a user already at 10; the trace still crosses as AWSTraceHeader", () => {
    const user = userAttributes(10);
    const merged = mergeSqsAttributes(user, carried);
    expect(merged).toEqual(user);
    const system = toSqsSystemAttributes(carried);
    expect(system.AWSTraceHeader?.StringValue).toBe("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    expect(fromSqsMessage({ MessageAttributes: merged, Attributes: { AWSTraceHeader: system.AWSTraceHeader!.StringValue } })).toEqual({ traceparent: carried.traceparent });
  });

  it("never overwrites a user's attribute of the same name", () => {
    const merged = mergeSqsAttributes({ traceparent: { DataType: "String", StringValue: "mine" } }, carried);
    expect(merged.traceparent.StringValue).toBe("mine");
  });

  it("translates traceparent to X-Ray and back, unsampled included, and refuses what is not one", () => {
    const unsampled = "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00";
    expect(traceparentToXray(unsampled)).toBe("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0");
    expect(xrayToTraceparent(traceparentToXray(unsampled))).toBe(unsampled);
    expect(traceparentToXray("garbage")).toBeUndefined();
    expect(toSqsSystemAttributes({})).toEqual({});
  });
});
