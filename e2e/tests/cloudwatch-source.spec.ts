import { join } from "node:path";
import { expect, test } from "../support/test.js";
import { cloudwatchSink, startCollector } from "@tracewright/collector-lambda";
import type { CollectorHandle } from "@tracewright/collector-lambda";
import { init } from "@tracewright/instrument";
import { runScenario } from "@tracewright/reference-agents";
import { FAKE_AWS } from "../../packages/collector-lambda/src/fakes/aws.fixtures.js";
import { startFakeLogs } from "../../packages/collector-lambda/src/fakes/logs.fixtures.js";
import type { FakeLogs } from "../../packages/collector-lambda/src/fakes/logs.fixtures.js";
import { ROOT, startDashboard } from "../support/dashboard.js";
import type { RunningDashboard } from "../support/dashboard.js";

// The dashboard reading CloudWatch Logs instead of the local store. Runs of the reference agents
// go agent → OTLP/HTTP → a collector whose only sink is the CloudWatch Logs sink (real SDK client)
// → the local CloudWatch Logs endpoint. A second, built dashboard is started pointed at that
// endpoint by the environment alone (TRACEWRIGHT_SOURCE=cloudwatch), as a deployment would be.

const GROUP = "/tracewright/e2e";
let logs: FakeLogs;
let collector: CollectorHandle;
let dashboard: RunningDashboard | undefined;
let base = "";
const runs = { failed: "", ok: "" };

test.beforeAll(async () => {
  test.setTimeout(180_000);
  logs = await startFakeLogs();
  const sink = cloudwatchSink({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: GROUP });
  collector = await startCollector({ sinks: [sink], port: 0 });
  const tracing = init({ serviceName: "e2e-cloudwatch", endpoint: collector.tracesUrl });
  runs.ok = (await runScenario("supervisor", "success", { latencyScale: 0 })).runId;
  runs.failed = (await runScenario("supervisor", "tool_error", { latencyScale: 0 })).runId;
  await tracing.flush();
  await tracing.shutdown();
  expect(logs.events(GROUP).length, "the sink shipped the runs' steps to CloudWatch Logs").toBeGreaterThan(10);

  dashboard = await startDashboard({
    TRACEWRIGHT_SOURCE: "cloudwatch",
    TRACEWRIGHT_LOG_GROUP: GROUP,
    TRACEWRIGHT_DB: join(ROOT, "no-such-dir", "never-read.db"),
    AWS_REGION: FAKE_AWS.region,
    AWS_ACCESS_KEY_ID: FAKE_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url,
  });
  base = dashboard.url;
});

test.afterAll(async () => {
  await dashboard?.stop();
  await collector?.close();
  await logs?.close();
});

test("a failed run recorded only in CloudWatch Logs: found by filter, its failing step's state and error read", async ({ page }) => {
  await page.goto(`${base}/?status=error&agent=supervisor`);
  const source = page.getByTestId("source");
  await expect(source).toHaveAttribute("data-source", "cloudwatch");
  await expect(source).toContainText("CloudWatch Logs");
  await expect(source).toContainText(GROUP);

  const rows = page.getByTestId("run-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-status", "error");
  await expect(rows.first()).toContainText("error");
  await rows.first().getByTestId("run-link").click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runs.failed}`));

  // The page opens on where the run failed: the tool step, with its error, stack and input state.
  await expect(page.getByTestId("run-status")).toContainText("error");
  const detail = page.getByTestId("step-detail");
  await expect(detail).toContainText("fetch_document");
  await expect(page.getByTestId("step-error-message")).toContainText("503");
  await expect(page.getByTestId("step-error-stack")).toBeVisible();
  await expect(page.getByTestId("step-input")).toContainText("doc://pricing");
  expect(await page.locator('[data-testid="step-row"][data-status="error"]').count()).toBeGreaterThanOrEqual(2);
  await page.screenshot({ path: test.info().outputPath("cloudwatch-failed-step.png"), fullPage: true });

  // Another step's detail is read on demand, from CloudWatch Logs, by its span id.
  const failingKey = await detail.getAttribute("data-step-key");
  const selected = page.locator('[data-testid="step-row"][data-selected="true"]');
  const index = Number(await selected.getAttribute("data-index"));
  await selected.getByRole("treeitem").focus();
  await page.keyboard.press("ArrowUp");
  const response = page.waitForResponse((r) => r.url().includes(`/api/runs/${runs.failed}/spans/`));
  await page.keyboard.press("Enter");
  expect((await response).status()).toBe(200);
  await expect(detail).not.toHaveAttribute("data-step-key", failingKey!);
  await expect(page.locator(`[data-testid="step-row"][data-index="${index - 1}"]`)).toHaveAttribute("data-selected", "true");
});

test("from CloudWatch Logs: a text search is refused with the way out, insights chart the runs, and the failed run replays", async ({ page }) => {
  await page.goto(`${base}/?q=503`);
  const empty = page.getByTestId("empty-state");
  await expect(empty).toHaveAttribute("data-reason", "unsupported");
  await expect(page.getByTestId("unsupported-message")).toContainText('does not search the recorded text of runs (text "503")');
  await expect(page.getByTestId("text-filter")).toBeDisabled();
  await empty.getByRole("link", { name: /without the text filter/ }).click();
  await expect(page.getByTestId("run-row")).toHaveCount(2);

  await page.goto(`${base}/insights`);
  await expect(page.getByTestId("insights-totals")).toContainText("2 runs · 1 failed");
  await expect(page.getByTestId("insights-scope")).toContainText(GROUP);
  await expect(page.locator('[data-testid="latency-agent"] [data-testid="latency-row"][data-name="supervisor"]')).toBeVisible();
  await expect(page.locator('[data-testid="latency-tool"] [data-testid="latency-row"][data-name="fetch_document"]')).toBeVisible();

  await page.goto(`${base}/runs/${runs.failed}`);
  await page.getByTestId("replay-reproduce").click();
  await expect(page.getByTestId("replay-report")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("replay-outcome")).toHaveText(/reproduced/);
  await page.getByTestId("replay-open").click();
  await expect(page.getByTestId("replay-of")).toBeVisible();
  await expect(page.getByTestId("step-error-message")).toContainText("503");
  await page.screenshot({ path: test.info().outputPath("cloudwatch-replay.png"), fullPage: true });
});

test("when CloudWatch Logs cannot be read, the page says so and what to check, and recovers once it can", async ({ page }) => {
  logs.setFaults({ rate: 1, kinds: ["server-error"] });
  try {
    await page.goto(`${base}/`);
    const error = page.getByTestId("error-state");
    await expect(error).toBeVisible({ timeout: 30_000 });
    await expect(error).toContainText("Could not read the trace store");
    await expect(error).toContainText("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
    await expect(error).toContainText("TRACEWRIGHT_LOG_GROUP");
    await expect(error.getByRole("link", { name: "Back to runs" })).toBeVisible();
    await page.screenshot({ path: test.info().outputPath("cloudwatch-unreachable.png"), fullPage: true });
  } finally {
    logs.setFaults({});
  }
  await page.reload();
  await expect(page.getByTestId("run-row").first()).toBeVisible();
});
