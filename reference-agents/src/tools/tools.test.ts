import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ToolInputError, UpstreamError } from "../errors.js";
import { loadCorpus, parseDocument, searchCorpus } from "./corpus.js";
import { DATA_DIR } from "./data.js";
import { computeStatsOver, loadDataset, parseCsv, round } from "./stats.js";
import { createToolbox } from "./toolbox.js";

const tools = createToolbox();

describe("bundled data", () => {
  it("lives at the package root, the same two levels up from src/tools and dist/tools", () => {
    expect(fileURLToPath(DATA_DIR)).toBe(fileURLToPath(new URL("../../data/", import.meta.url)));
    expect(fileURLToPath(DATA_DIR)).toMatch(/reference-agents\/data\/$/);
  });

  it("loads the corpus in file-name order with ids, titles and summaries", async () => {
    const corpus = await loadCorpus();
    expect(corpus.map((doc) => doc.id)).toEqual([
      "doc://api-gateway",
      "doc://dynamodb-capacity",
      "doc://graviton",
      "doc://logs-retention",
      "doc://power-tuning",
      "doc://pricing",
      "doc://provisioned-concurrency",
      "doc://step-functions",
    ]);
    const pricing = corpus.find((doc) => doc.id === "doc://pricing");
    expect(pricing?.title).toBe("AWS Lambda pricing: requests and GB-seconds");
    expect(pricing?.summary).toMatch(/^A Lambda bill has two parts: .* billed per millisecond\)\.$/);
  });

  it("parses a document without a heading, keeping the id as its title", () => {
    expect(parseDocument("doc://x", "First para\nwraps.\n\nSecond.")).toEqual({ id: "doc://x", title: "doc://x", summary: "First para wraps.", text: "First para\nwraps.\n\nSecond." });
  });
});

describe("web_search", () => {
  it("ranks the most relevant document first, with a matching snippet", async () => {
    const { query, results } = await tools.webSearch({ query: "  graviton arm64 price performance " });
    expect(query).toBe("graviton arm64 price performance");
    expect(results[0]?.id).toBe("doc://graviton");
    expect(results[0]?.snippet).toContain("34% better price performance");
    const scores = results.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(results.every((hit) => hit.score > 0)).toBe(true);
  });

  it("finds pricing and logs documents for their queries", async () => {
    expect((await tools.webSearch({ query: "lambda pricing GB-second duration" })).results[0]?.id).toBe("doc://pricing");
    expect((await tools.webSearch({ query: "cloudwatch logs retention cost" })).results[0]?.id).toBe("doc://logs-retention");
  });

  it("gives the same answer every time and honours the limit", async () => {
    const a = await tools.webSearch({ query: "lambda cost", limit: 3 });
    const b = await tools.webSearch({ query: "lambda cost", limit: 3 });
    expect(b).toEqual(a);
    expect(a.results).toHaveLength(3);
    expect((await tools.webSearch({ query: "lambda cost", limit: 0 })).results).toHaveLength(1);
    expect((await tools.webSearch({ query: "lambda", limit: 99 })).results.length).toBeLessThanOrEqual(10);
  });

  it("returns no results for words the corpus does not have, and rejects an empty query", async () => {
    expect((await tools.webSearch({ query: "kubernetes" })).results).toEqual([]);
    await expect(tools.webSearch({ query: "  " })).rejects.toBeInstanceOf(ToolInputError);
  });

  it("breaks score ties by id so the order is total", () => {
    const docs = [parseDocument("doc://b", "# Same\n\nalpha"), parseDocument("doc://a", "# Same\n\nalpha")];
    expect(searchCorpus(docs, { query: "alpha" }).results.map((hit) => hit.id)).toEqual(["doc://a", "doc://b"]);
  });
});

describe("fetch_document", () => {
  it("returns the whole document", async () => {
    const doc = await tools.fetchDocument({ id: "doc://step-functions" });
    expect(doc.title).toBe("Step Functions: Standard or Express workflows");
    expect(doc.text.startsWith("# Step Functions")).toBe(true);
    expect(doc.text).toContain("$0.025 per 1,000 transitions");
  });

  it("answers 404 for an unknown document and rejects a malformed id", async () => {
    await expect(tools.fetchDocument({ id: "doc://nope" })).rejects.toThrow(new UpstreamError("fetch_document", 404, "doc://nope"));
    await expect(tools.fetchDocument({ id: "https://example.com" })).rejects.toBeInstanceOf(ToolInputError);
  });

  it("rejects at once when its signal is already aborted", async () => {
    const reason = new Error("gave up");
    await expect(tools.fetchDocument({ id: "doc://pricing" }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe("compute_stats", () => {
  it("totals the metric per group, largest first, with shares", async () => {
    const stats = await tools.computeStats({ dataset: "lambda-costs", metric: "cost_usd", groupBy: "month" });
    expect(stats).toMatchObject({ dataset: "lambda-costs", metric: "cost_usd", groupBy: "month", rows: 36, total: 1023.41, min: 0.88, max: 134.85 });
    expect(stats.groups).toEqual([
      { key: "2025-09", total: 356.21, count: 12, share: 0.3481 },
      { key: "2025-08", total: 342.44, count: 12, share: 0.3346 },
      { key: "2025-07", total: 324.76, count: 12, share: 0.3173 },
    ]);
  });

  it("filters rows with where, comparing as text", async () => {
    const stats = await tools.computeStats({ dataset: "lambda-costs", metric: "gb_seconds", groupBy: "architecture", where: { month: "2025-09" } });
    expect(stats.rows).toBe(12);
    expect(stats.groups.map((group) => [group.key, group.count])).toEqual([
      ["x86_64", 8],
      ["arm64", 4],
    ]);
    expect(stats.groups[0]?.total).toBe(20026706.5);
    const one = await tools.computeStats({ dataset: "lambda-costs", metric: "memory_mb", where: { function: "nightly-report", month: "2025-07" } });
    expect(one).toMatchObject({ rows: 1, total: 10240, mean: 10240, groups: [] });
  });

  it("rejects unknown datasets and columns, and non-numeric metrics, saying what exists", async () => {
    await expect(tools.computeStats({ dataset: "nope", metric: "cost_usd" })).rejects.toThrow('compute_stats: no dataset "nope" (looked for data/nope.csv)');
    await expect(tools.computeStats({ dataset: "../package", metric: "x" })).rejects.toBeInstanceOf(ToolInputError);
    await expect(tools.computeStats({ dataset: "lambda-costs", metric: "cost" })).rejects.toThrow(/"cost" is not a column of lambda-costs; columns: month, function,/);
    await expect(tools.computeStats({ dataset: "lambda-costs", metric: "function" })).rejects.toThrow('metric "function" is not numeric');
  });

  it("parses numbers and keeps text, and checks the cell count", async () => {
    const dataset = parseCsv("t", "k,v\na,1.5\nb,2\n2025-07,x\n");
    expect(dataset.rows).toEqual([
      { k: "a", v: 1.5 },
      { k: "b", v: 2 },
      { k: "2025-07", v: "x" },
    ]);
    expect(() => parseCsv("t", "k,v\na")).toThrow("t.csv line 2 has 1 cells, expected 2");
    expect(computeStatsOver(parseCsv("t", "k,v\n"), { dataset: "t", metric: "v" })).toMatchObject({ rows: 0, total: 0, mean: 0, min: 0, max: 0 });
    expect(await loadDataset("lambda-costs")).toBe(await loadDataset("lambda-costs"));
  });

  it("rounds half away from zero without binary noise", () => {
    expect(round(1.005, 2)).toBe(1.01);
    expect(round(-1.005, 2)).toBe(-1.01);
    expect(round(0.1 + 0.2, 2)).toBe(0.3);
    expect(Object.is(round(-0.001, 2), 0)).toBe(true);
  });
});
