import { describe, expect, it } from "vitest";
import { runHref, runIdCandidates } from "./routes";
import { firstParam, withQuery } from "./search-params";

describe("runHref", () => {
  it("encodes run ids and step keys", () => {
    expect(runHref("abc123")).toBe("/runs/abc123");
    expect(runHref("../x?y", "supervisor/node:plan#0")).toBe("/runs/..%2Fx%3Fy?step=supervisor%2Fnode%3Aplan%230");
  });
});

describe("runIdCandidates", () => {
  it("tries the id as given, then decoded", () => {
    expect(runIdCandidates("abc123")).toEqual(["abc123"]);
    expect(runIdCandidates("odd%20id%2F%C3%A9")).toEqual(["odd%20id%2F%C3%A9", "odd id/é"]);
    expect(runIdCandidates("bad%E0%A4%A")).toEqual(["bad%E0%A4%A"]);
  });
});

describe("search params", () => {
  it("reads the first non-empty value", () => {
    expect(firstParam({ a: ["1", "2"], b: "", c: "3" }, "a")).toBe("1");
    expect(firstParam({ b: "" }, "b")).toBeUndefined();
    expect(firstParam({}, "c")).toBeUndefined();
  });

  it("leaves out undefined and empty entries", () => {
    expect(withQuery("/p", [["a", undefined], ["b", ""], ["c", "x y"]])).toBe("/p?c=x+y");
    expect(withQuery("/p", [])).toBe("/p");
  });
});
