import { expect, test } from "../support/test.js";

// The walking skeleton, seen as a user sees it: `npm start` recorded the reference scenarios,
// some of which fail by injected faults; the dashboard lists them and shows why one failed.

test("the runs list shows the recorded runs, failures included", async ({ page }) => {
  await page.goto("/");
  const rows = page.getByTestId("run-row");
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  await expect(page.locator('[data-testid="run-row"][data-status="error"]').first()).toBeVisible();
  await expect(page.locator('[data-testid="run-row"][data-status="ok"]').first()).toBeVisible();
  // Status reads without colour: the word is on the row.
  await expect(page.locator('[data-testid="run-row"][data-status="error"]').first()).toContainText("error");
  await page.screenshot({ path: test.info().outputPath("runs.png"), fullPage: true });
});

test("a run's token totals: in the list, and the same on its page", async ({ page }) => {
  await page.goto("/?agent=supervisor&status=ok");
  const row = page.getByTestId("run-row").first();
  await expect(row).toBeVisible();
  const cell = row.getByTestId("run-tokens");
  // The model calls' usage, summed by the store: a number, its split in the title.
  await expect(cell).toHaveText(/^\d{1,3}(,\d{3})*$/);
  const split = await cell.getAttribute("title");
  expect(split).toMatch(/^[\d,]+ in · [\d,]+ out \(tokens\)$/);
  const [input, output] = (split ?? "").match(/[\d,]+/g)!.map((n) => Number(n.replace(/,/g, "")));
  expect(Number((await cell.innerText()).replace(/,/g, ""))).toBe(input! + output!);
  await row.getByTestId("run-link").click();
  await expect(page).toHaveURL(/\/runs\//);
  await expect(page.getByTestId("run-header").getByTestId("run-tokens")).toHaveText(split!.replace(" (tokens)", ""));
});

test("a failed run's page shows the failing step's error and input state", async ({ page }) => {
  await page.goto("/?status=error");
  const failed = page.locator('[data-testid="run-row"]');
  await expect(failed.first()).toBeVisible();
  const statuses = await failed.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
  expect(statuses.every((s) => s === "error")).toBe(true);

  // Find the run that failed on the fetch_document tool (the tool_error scenario).
  const hrefs = await failed.locator("a[href^='/runs/']").evaluateAll((links) => [...new Set(links.map((a) => a.getAttribute("href")))]);
  let found = false;
  for (const href of hrefs) {
    await page.goto(href!);
    const error = page.getByTestId("step-error");
    await expect(error).toBeVisible();
    if (!(await error.innerText()).includes("503")) continue;
    found = true;
    await expect(page.getByTestId("run-status")).toContainText("error");
    await expect(page.getByTestId("step-detail")).toContainText("fetch_document");
    await expect(page.getByTestId("step-input")).toContainText("doc://pricing");
    const failing = page.locator('[data-testid="step-row"][data-status="error"]');
    expect(await failing.count()).toBeGreaterThanOrEqual(2); // the tool and the nodes above it
    await page.screenshot({ path: test.info().outputPath("failed-run.png"), fullPage: true });
    // The node above it failed because of it: its error says by which step, and leads there.
    const toolKey = (await page.getByTestId("step-key").innerText()).trim();
    await page.getByRole("navigation", { name: "Step path" }).getByRole("link").last().click();
    await expect(page.getByTestId("step-error-raised-at")).toContainText("fetch_document");
    await page.getByTestId("step-error-raised-at").click();
    await expect(page.getByTestId("step-key")).toHaveText(toolKey);
    // Its short id, as the pages show it, opens the same run (and a search for it finds it).
    const runId = (await page.getByTestId("run-id").innerText()).trim();
    await page.goto(`/runs/${runId.slice(0, 8)}`);
    await expect(page).toHaveURL(`/runs/${runId}`);
    await expect(page.getByTestId("run-id")).toHaveText(runId);
    await page.goto(`/?q=${runId.slice(0, 8)}`);
    await expect(page.locator(`[data-testid="run-row"] a[href="/runs/${runId}"]`).first()).toBeVisible();
    break;
  }
  expect(found, "a run failed by the tool_error fault is listed").toBe(true);
});
