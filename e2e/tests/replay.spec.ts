import { expect, test } from "../support/test.js";
import type { Page } from "@playwright/test";

// Replay from the dashboard: the failed runs `npm start` recorded are reproduced, verified
// against a fix, and forked from a step with an edited state — each a new run linked to the
// original, opened from the report.

/** The failed run of `agent` whose failing step's error contains `text`. */
async function failedRunWith(page: Page, text: string, agent = "supervisor"): Promise<string> {
  await page.goto(`/?status=error&agent=${agent}`);
  const hrefs = await page.locator("[data-testid='run-row'] a[href^='/runs/']").evaluateAll((links) => [...new Set(links.map((a) => a.getAttribute("href") ?? ""))]);
  for (const href of hrefs) {
    await page.goto(href);
    const error = page.getByTestId("step-error");
    await expect(error).toBeVisible();
    if ((await error.innerText()).includes(text)) return href;
  }
  throw new Error(`no failed run shows "${text}"`);
}

test("reproducing a failed run replays it exactly and opens the replay as a linked run", async ({ page }) => {
  const href = await failedRunWith(page, "returned 503");
  await page.getByTestId("replay-reproduce").click();
  const report = page.getByTestId("replay-report");
  await expect(report).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("replay-outcome")).toHaveText(/reproduced/);
  await expect(page.getByTestId("replay-summary")).toContainText("the same error (UpstreamError: fetch_document: upstream returned 503 for doc://pricing)");
  await page.screenshot({ path: test.info().outputPath("replay-report.png"), fullPage: true });

  await page.getByTestId("replay-open").click();
  await expect(page.getByTestId("run-status")).toContainText("error");
  const replayOf = page.getByTestId("replay-of");
  await expect(replayOf).toBeVisible();
  expect(await replayOf.getAttribute("href")).toBe(href);
  await expect(page.getByTestId("step-error")).toContainText("503");
});

test("verify-fix with the bug fixed completes and shows the first divergence", async ({ page }) => {
  await failedRunWith(page, "TypeError");
  await page.getByTestId("replay-fixes").fill("agent_bug");
  await page.getByTestId("replay-verify").click();
  await expect(page.getByTestId("replay-report")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("replay-outcome")).toHaveText(/completed/);
  await expect(page.getByTestId("replay-first")).toContainText("node:analysis#0");
  await page.screenshot({ path: test.info().outputPath("verify-fix.png"), fullPage: true });
  await page.getByTestId("replay-open").click();
  await expect(page.getByTestId("run-status")).toContainText("ok");
});

test("forking from the failing tool call with an edited result continues live to the end", async ({ page }) => {
  await failedRunWith(page, "returned 503");
  // The default selection is the failing step: fetch_document.
  await expect(page.getByTestId("step-detail")).toContainText("fetch_document");
  const key = (await page.getByTestId("step-key").innerText()).trim();
  const fork = page.getByTestId("fork-form");
  await fork.locator("summary").click();
  await page.getByTestId("fork-state").fill(JSON.stringify({ id: "doc://pricing", title: "AWS Lambda pricing", summary: "Duration is billed per GB-second.", text: "Duration is billed per GB-second: $0.0000166667 on x86_64, 20% less on arm64." }));
  await page.getByTestId("fork-submit").click();
  const report = fork.getByTestId("replay-report");
  await expect(report).toBeVisible({ timeout: 60_000 });
  await expect(fork.getByTestId("replay-outcome")).toHaveText(/completed/);
  await page.screenshot({ path: test.info().outputPath("fork.png"), fullPage: true });
  const opened = await fork.getByTestId("replay-open").getAttribute("href");
  // A state that is no JSON next: refused, and the last fork's report goes with it.
  await page.getByTestId("fork-state").fill("{ not json");
  await page.getByTestId("fork-submit").click();
  await expect(page.getByTestId("fork-error")).toContainText("not valid JSON");
  await expect(fork.getByTestId("replay-report")).toHaveCount(0);
  // The fork's run: ok, linked to the original, and the step it went live from says so.
  await page.goto(`${opened!}?step=${encodeURIComponent(key)}`);
  await expect(page.getByTestId("run-status")).toContainText("ok");
  await expect(page.getByTestId("replay-of")).toBeVisible();
  await expect(page.getByTestId("step-facts")).toContainText("the fork went live here, with the patched state");
});

test("a choreography run that ended in a dead-letter queue reproduces across its hops", async ({ page }) => {
  await failedRunWith(page, "PoisonMessageError", "choreography");
  await page.getByTestId("replay-reproduce").click();
  await expect(page.getByTestId("replay-report")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("replay-outcome")).toHaveText(/reproduced/);
  await expect(page.getByTestId("replay-summary")).toContainText("dead-letter queue");
});

test("a bad fork state is refused with a message, and nothing runs", async ({ page }) => {
  await failedRunWith(page, "returned 503");
  const fork = page.getByTestId("fork-form");
  await fork.locator("summary").click();
  await page.getByTestId("fork-state").fill("{ not json");
  await page.getByTestId("fork-submit").click();
  await expect(page.getByTestId("fork-error")).toContainText("not valid JSON");
  await expect(fork.getByTestId("replay-report")).toHaveCount(0);
});

test("a replay in progress says so, with its elapsed time, and the controls wait for it", async ({ page }) => {
  await failedRunWith(page, "returned 503");
  // Hold the answer until the progress has been seen: the replay itself runs on the server as usual.
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/runs/*/replay", async (route) => {
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
  });
  await page.getByTestId("replay-reproduce").click();
  const progress = page.getByTestId("replay-progress");
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute("role", "status");
  await expect(progress).toContainText(/Reproducing… \d+ s/);
  await expect(page.getByTestId("replay-reproduce")).toBeDisabled();
  await expect(page.getByTestId("replay-verify")).toBeDisabled();
  await expect(progress).toContainText(/Reproducing… [1-9]\d* s/, { timeout: 5000 });
  await page.screenshot({ path: test.info().outputPath("replay-progress.png"), fullPage: false });
  release();
  await expect(page.getByTestId("replay-outcome")).toHaveText(/reproduced/, { timeout: 30_000 });
  await expect(progress).toHaveCount(0);
  await expect(page.getByTestId("replay-reproduce")).toBeEnabled();
});
