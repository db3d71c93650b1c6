import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE, parseRunsParams, parseStatus, runsHref } from "./query";

describe("parseRunsParams", () => {
  it("defaults to every run, newest first, one page", () => {
    expect(parseRunsParams({})).toEqual({ limit: DEFAULT_PAGE_SIZE });
  });

  it("reads status, agent, cursor and limit", () => {
    expect(parseRunsParams({ status: "error", agent: " supervisor ", cursor: "abc", limit: "10" })).toEqual({
      status: "error",
      agent: "supervisor",
      cursor: "abc",
      limit: 10,
    });
  });

  it("takes the first of repeated parameters and ignores malformed ones", () => {
    expect(parseRunsParams({ status: ["ok", "error"], agent: "", limit: "-3" })).toEqual({ status: "ok", limit: DEFAULT_PAGE_SIZE });
    expect(parseRunsParams({ status: "bogus", limit: "100000" })).toEqual({ limit: 200 });
    expect(parseRunsParams({ limit: "0" })).toEqual({ limit: 1 });
  });

  it("accepts the CLI's spelling of a failed run", () => {
    expect(parseStatus("failed")).toBe("error");
    expect(parseStatus("ERROR")).toBe("error");
    expect(parseStatus(undefined)).toBeUndefined();
  });
});

describe("hrefs", () => {
  it("builds the runs page with its filters, leaving out defaults", () => {
    expect(runsHref({})).toBe("/");
    expect(runsHref({ status: "error", agent: "a b&c", limit: DEFAULT_PAGE_SIZE })).toBe("/?status=error&agent=a+b%26c");
    expect(runsHref({ agent: "x", limit: 10, cursor: "c1" })).toBe("/?agent=x&limit=10&cursor=c1");
  });
});
