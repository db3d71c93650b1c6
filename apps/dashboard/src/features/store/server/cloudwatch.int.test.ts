import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { cloudwatchSink } from "@tracewright/collector-lambda";
import { CollectingProcessor } from "@tracewright/replay";
import { runScenario } from "@tracewright/reference-agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_AWS } from "../../../../../../packages/collector-lambda/src/fakes/aws.fixtures.js";
import { startFakeLogs } from "../../../../../../packages/collector-lambda/src/fakes/logs.fixtures.js";
import type { FakeLogs } from "../../../../../../packages/collector-lambda/src/fakes/logs.fixtures.js";
import { loadComparison } from "../../compare/server/load-compare";
import { loadInsights } from "../../insights/server/load-insights";
import { runReplay } from "../../replay/server/run-replay";
import { loadRun, loadSiblingRuns } from "../../run/server/load-run";
import { loadRunsView } from "../../runs/server/list-runs";
import { loadStep } from "../../step/server/load-step";
import { currentSource, getStore } from "./store";

// The dashboard's server data layer reading CloudWatch Logs: runs recorded by the reference
// agents, shipped by the collector's real CloudWatch Logs sink (real SDK client) to the local
// endpoint, and read back by the same loaders the pages and the API use, configured by the
// environment only, as a deployed dashboard is.

const GROUP = "/tracewright/dashboard-test";
let logs: FakeLogs;
const ids = { failed: "", ok: "", choreography: "" };

beforeAll(async () => {
  logs = await startFakeLogs();
  const collected = new CollectingProcessor();
  const tracer = new BasicTracerProvider({ spanProcessors: [collected] }).getTracer("dashboard-int");
  ids.ok = (await runScenario("supervisor", "success", { latencyScale: 0, runOptions: { tracer } })).runId;
  ids.failed = (await runScenario("supervisor", "tool_error", { latencyScale: 0, runOptions: { tracer } })).runId;
  ids.choreography = (await runScenario("choreography", "poison_message", { latencyScale: 0, runOptions: { tracer } })).runId;
  const sink = cloudwatchSink({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: GROUP });
  await sink.write(collected.spans);
  await sink.close();
  Object.assign(process.env, {
    TRACEWRIGHT_SOURCE: "cloudwatch",
    TRACEWRIGHT_LOG_GROUP: GROUP,
    AWS_REGION: FAKE_AWS.region,
    AWS_ACCESS_KEY_ID: FAKE_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url,
  });
});

afterAll(async () => {
  const access = await getStore();
  if (access.state === "ready") await access.store.close();
  await logs.close();
});

describe("the dashboard reading CloudWatch Logs", () => {
  it("resolves the source once from the environment and reads nothing from a local database", async () => {
    expect(currentSource()).toEqual({ kind: "cloudwatch", logGroup: GROUP, region: "us-east-1", endpoint: logs.url });
    const access = await getStore();
    expect(access).toMatchObject({ state: "ready", source: { kind: "cloudwatch" } });
    expect(logs.calls.StartQuery ?? 0).toBe(0); // opened lazily: nothing is asked until a page reads
  });

  it("lists the runs, newest first, with their agents, and filters by status, errors and time", async () => {
    const queries = logs.calls.StartQuery ?? 0;
    const view = await loadRunsView({ limit: 50 });
    expect((logs.calls.StartQuery ?? 0) - queries, "the runs and the agents of one page come from one Logs Insights query").toBe(1);
    expect(view.state).toBe("ready");
    if (view.state !== "ready") return;
    expect(view.textSearch).toBe(false);
    expect(view.runs.map((r) => r.runId)).toEqual([ids.choreography, ids.failed, ids.ok]);
    expect(view.runs.map((r) => r.status)).toEqual(["error", "error", "ok"]);
    expect(view.agents).toEqual(["choreography", "supervisor"]);
    const failed = await loadRunsView({ limit: 50, status: "error", agent: "supervisor", errors: "yes", range: "1h" });
    expect(failed.state === "ready" && failed.runs.map((r) => r.runId)).toEqual([ids.failed]);
    const longest = await loadRunsView({ limit: 1, sort: "duration", order: "asc" });
    expect(longest.state === "ready" && longest.nextCursor).toEqual(expect.any(String));
  });

  it("says a text search is not answered by this source instead of failing the page", async () => {
    const view = await loadRunsView({ limit: 50, q: "503" });
    expect(view).toMatchObject({ state: "unsupported", agents: ["choreography", "supervisor"], textSearch: false });
    expect(view.state === "unsupported" && view.message).toMatch(/does not search the recorded text of runs \(text "503"\)/);
  });

  it("reads a failed run's steps, its failing step's state and error, and one step on its own", async () => {
    const detail = await loadRun(ids.failed);
    expect(detail?.run).toMatchObject({ runId: ids.failed, agent: "supervisor", status: "error" });
    const failing = detail?.steps.find((s) => s.kind === "tool" && s.status === "error");
    expect(failing?.name).toBe("fetch_document");
    expect(failing?.error?.message).toContain("503");
    expect(failing?.error?.stack).toEqual(expect.stringContaining("UpstreamError"));
    expect(JSON.stringify(failing?.input)).toContain("doc://pricing");
    const step = await loadStep(ids.failed, failing!.spanId);
    expect(step?.step).toMatchObject({ spanId: failing!.spanId, status: "error", name: "fetch_document" });
    expect(step?.step.error?.message).toContain("503");
    expect(await loadStep(ids.failed, "0000000000000000")).toBeUndefined();
    expect((await loadSiblingRuns(detail!.run)).map((r) => r.runId)).toEqual([ids.ok]);
    expect(await loadRun("no-such-run")).toBeUndefined();
  });

  it("compares the failed run with the successful one and finds the first divergence", async () => {
    const view = await loadComparison(ids.failed, ids.ok);
    expect(view.state).toBe("ready");
    if (view.state !== "ready") return;
    expect(view.comparison.rows[0]?.key).toBe("supervisor");
    const first = view.comparison.rows[view.comparison.firstDivergence]?.diff;
    expect(first?.presence === true || first?.input === true || first?.output === true).toBe(true);
    const same = await loadComparison(ids.failed, ids.failed);
    expect(same.state === "ready" && same.comparison.firstDivergence).toBe(-1);
    expect(await loadComparison(ids.failed, "no-such-run")).toEqual({ state: "not-found", missing: ["no-such-run"] });
  });

  it("charts the runs: by status over time, tokens, latency by agent, node and tool", async () => {
    const view = await loadInsights(undefined);
    expect(view.state).toBe("ready");
    if (view.state !== "ready") return;
    expect(view.source.kind).toBe("cloudwatch");
    expect(view.data.totals).toMatchObject({ runs: 3, errors: 2 });
    expect(view.data.totals.inputTokens).toBeGreaterThan(0);
    const of = (kind: string) => view.data.latency.filter((l) => l.kind === kind);
    expect(of("agent").map((l) => l.name).sort()).toEqual(["choreography", "supervisor"]);
    expect(of("tool").some((l) => l.name === "fetch_document" && l.errors >= 1)).toBe(true);
    expect(of("node").length).toBeGreaterThan(0);
    expect(of("llm").length).toBeGreaterThan(0);
  });

  it("replays the failed run from CloudWatch Logs and records the replay there, linked", async () => {
    const { status, body } = await runReplay(ids.failed, { mode: "reproduce" });
    expect(status).toBe(200);
    if (!("report" in body)) throw new Error(`replay failed: ${JSON.stringify(body)}`);
    expect(body.report).toMatchObject({ outcome: "reproduced", divergences: [] });
    const replayed = await loadRun(body.report.replayRunId);
    expect(replayed?.run).toMatchObject({ replayOf: ids.failed, status: "error" });
    const fork = await runReplay(ids.failed, { mode: "fork", from: "no-such-step" });
    expect(fork.status).toBe(400);
  });
});
