import { describe, expect, it } from "vitest";
import { ariaSort, DEFAULT_PAGE_SIZE, isFiltered, parseRunsParams, parseStatus, runsHref, sortHref, toRunQuery } from "./query";

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

  it("reads range, minimum duration, errors, text and sort", () => {
    expect(parseRunsParams({ range: "24h", min: "1500", errors: "yes", q: "  HTTP 503 ", sort: "duration", order: "asc" })).toEqual({
      range: "24h",
      minMs: 1500,
      errors: "yes",
      q: "HTTP 503",
      sort: "duration",
      order: "asc",
      limit: DEFAULT_PAGE_SIZE,
    });
  });

  it("takes the first of repeated parameters and ignores malformed ones", () => {
    expect(parseRunsParams({ status: ["ok", "error"], agent: "", limit: "-3" })).toEqual({ status: "ok", limit: DEFAULT_PAGE_SIZE });
    expect(parseRunsParams({ status: "bogus", limit: "100000" })).toEqual({ limit: 200 });
    expect(parseRunsParams({ limit: "0" })).toEqual({ limit: 1 });
    expect(parseRunsParams({ range: "2y", min: "1.5s", errors: "maybe", q: "   ", sort: "name", order: "desc" })).toEqual({ limit: DEFAULT_PAGE_SIZE });
    expect(parseRunsParams({ min: "0" })).toEqual({ limit: DEFAULT_PAGE_SIZE });
    expect(parseRunsParams({ q: "x".repeat(500) }).q).toHaveLength(200);
  });

  it("accepts the CLI's spelling of a failed run", () => {
    expect(parseStatus("failed")).toBe("error");
    expect(parseStatus("ERROR")).toBe("error");
    expect(parseStatus(undefined)).toBeUndefined();
  });
});

describe("toRunQuery", () => {
  it("turns a range into a start bound before now, and the rest into store options", () => {
    const now = Date.UTC(2026, 0, 2, 12);
    expect(toRunQuery({ range: "1h", minMs: 250, errors: "no", q: "paris", sort: "duration", order: "asc", limit: 50 }, now)).toEqual({
      startedAfter: "2026-01-02T11:00:00.000Z",
      minDurationMs: 250,
      hasErrors: false,
      text: "paris",
      sort: "duration",
      order: "asc",
      limit: 50,
    });
    expect(toRunQuery({ status: "error", agent: "a", errors: "yes", cursor: "c", limit: 5 }, now)).toEqual({ status: "error", agent: "a", hasErrors: true, cursor: "c", limit: 5 });
  });

  it("says whether anything narrows the list", () => {
    expect(isFiltered({ limit: 50, sort: "duration", cursor: "x" })).toBe(false);
    expect(isFiltered({ limit: 50, q: "x" })).toBe(true);
    expect(isFiltered({ limit: 50, range: "7d" })).toBe(true);
  });
});

describe("hrefs", () => {
  it("builds the runs page with its filters, leaving out defaults", () => {
    expect(runsHref({})).toBe("/");
    expect(runsHref({ status: "error", agent: "a b&c", limit: DEFAULT_PAGE_SIZE })).toBe("/?status=error&agent=a+b%26c");
    expect(runsHref({ agent: "x", limit: 10, cursor: "c1" })).toBe("/?agent=x&limit=10&cursor=c1");
    expect(runsHref({ range: "15m", minMs: 20, errors: "no", q: "<b>", sort: "duration", order: "asc" })).toBe("/?range=15m&min=20&errors=no&q=%3Cb%3E&sort=duration&order=asc");
    expect(runsHref({ sort: "start", order: "desc" })).toBe("/");
  });

  it("sorts by a column, flipping the order on a second click, from the first page", () => {
    const base = { limit: DEFAULT_PAGE_SIZE, status: "error" as const, cursor: "c" };
    expect(sortHref(base, "duration")).toBe("/?status=error&sort=duration");
    expect(sortHref({ ...base, sort: "duration" }, "duration")).toBe("/?status=error&sort=duration&order=asc");
    expect(sortHref({ ...base, sort: "duration", order: "asc" }, "duration")).toBe("/?status=error&sort=duration");
    expect(sortHref(base, "start")).toBe("/?status=error&order=asc");
    expect(ariaSort(base, "start")).toBe("descending");
    expect(ariaSort({ ...base, sort: "duration", order: "asc" }, "duration")).toBe("ascending");
    expect(ariaSort(base, "duration")).toBeUndefined();
  });
});
