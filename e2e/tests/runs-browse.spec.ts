import { expect, hydrated, test } from "../support/test.js";

// Browsing what `npm start` recorded: find a failed run by the filters, read its failing step.
// The tool_error scenario fails on fetch_document: "upstream returned 503 for doc://pricing".
// The search is for that phrase, not "503" alone: a run's recorded clock reads (an epoch in
// milliseconds, an ISO time) hold "503" by chance in about one run of a few hundred.
const FAILURE_TEXT = "returned 503";

test("finding a failed run by filter, then reading its failing step's state and error", async ({ page }) => {
  await page.goto("/");
  const form = page.getByTestId("run-filter-form");
  await form.getByTestId("errors-filter").selectOption("yes");
  await form.getByTestId("range-filter").selectOption("1h");
  await form.getByTestId("text-filter").fill(FAILURE_TEXT);
  await form.getByTestId("apply-filters").click();
  await expect(page).toHaveURL(/errors=yes/);
  await expect(page).toHaveURL(/q=returned\+503/);
  await expect(page).toHaveURL(/range=1h/);

  const rows = page.getByTestId("run-row");
  await expect(rows.first()).toBeVisible();
  const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-status")));
  expect(statuses.length).toBeGreaterThanOrEqual(1);
  expect(statuses, "every run listed failed").toEqual(statuses.map(() => "error"));
  // The filters stay chosen on the page they produced.
  await expect(form.getByTestId("text-filter")).toHaveValue(FAILURE_TEXT);
  await expect(form.getByTestId("errors-filter")).toHaveValue("yes");

  // A text no run contains lists nothing, and says so.
  await page.goto("/?q=no-such-text-anywhere-4711");
  await expect(page.getByTestId("empty-state")).toHaveAttribute("data-reason", "no-matches");

  await page.goto(`/?errors=yes&q=${encodeURIComponent(FAILURE_TEXT)}`);
  await page.getByTestId("run-link").first().click();
  await expect(page).toHaveURL(/\/runs\//);

  // The page opens on where the run failed: the tool step, its error with the stack, its input.
  const detail = page.getByTestId("step-detail");
  await expect(detail).toContainText("fetch_document");
  await expect(page.getByTestId("step-error-message")).toContainText("503");
  await expect(page.getByTestId("step-error-stack")).toBeVisible();
  await expect(page.getByTestId("step-input")).toContainText("doc://pricing");
  await expect(page.getByTestId("step-latency")).not.toBeEmpty();

  // The JSON viewer searches keys and values, and folds.
  await page.getByTestId("step-input-search").fill("pricing");
  await expect(page.getByTestId("step-input-matches")).toContainText(/1 of \d+/);
  await expect(page.locator('[data-testid="step-input"] .json-line.current')).toContainText("pricing");
  await page.getByTestId("step-input-search").fill("");
  await page.getByTestId("step-input-fold-all").click();
  await expect(page.getByTestId("step-input")).not.toContainText("doc://pricing");
  await expect(page.getByTestId("step-input")).toContainText(/\d+ keys?/);
  await page.getByTestId("step-input-unfold-all").click();
  await expect(page.getByTestId("step-input")).toContainText("doc://pricing");

  // Keyboard: the selected row has focus; ArrowUp then Enter opens the step above, loaded on demand.
  const failingKey = await detail.getAttribute("data-step-key");
  const selectedRow = page.locator('[data-testid="step-row"][data-selected="true"]');
  const selectedIndex = Number(await selectedRow.getAttribute("data-index"));
  expect(selectedIndex).toBeGreaterThan(0);
  const aboveKey = await page.locator(`[data-testid="step-row"][data-index="${selectedIndex - 1}"]`).getAttribute("data-step-key");
  await selectedRow.getByRole("treeitem").focus();
  await page.keyboard.press("ArrowUp");
  await expect(page.locator(`[data-testid="step-row"][data-index="${selectedIndex - 1}"] [role="treeitem"]`)).toBeFocused();
  const detailRequest = page.waitForResponse((r) => r.url().includes("/api/runs/") && r.url().includes("/spans/"));
  await page.keyboard.press("Enter");
  expect((await detailRequest).headers()["content-type"]).toContain("application/json");
  await expect(detail).toHaveAttribute("data-step-key", aboveKey!);
  expect(aboveKey).not.toBe(failingKey);
  await expect(page).toHaveURL(new RegExp(`step=${encodeURIComponent(aboveKey!).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(detail).toHaveAttribute("data-step-key", failingKey!);
  await expect(page.getByTestId("step-error-message")).toContainText("503");

  // ← folds a subtree (here the whole run under its root), → unfolds it.
  const rowCount = await page.getByTestId("step-row").count();
  const rootItem = page.locator('[data-testid="step-row"][data-index="0"] [role="treeitem"]');
  await rootItem.focus();
  await page.keyboard.press("ArrowLeft");
  await expect(rootItem).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByTestId("step-row")).toHaveCount(1);
  await page.keyboard.press("ArrowRight");
  await expect(rootItem).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByTestId("step-row")).toHaveCount(rowCount);
  await page.keyboard.press("ArrowRight");
  await expect(page.locator('[data-testid="step-row"][data-index="1"] [role="treeitem"]')).toBeFocused();
  // End and Home jump to the last and the first step.
  await page.keyboard.press("End");
  await expect(page.locator(`[data-testid="step-row"][data-index="${rowCount - 1}"] [role="treeitem"]`)).toBeFocused();
  await page.keyboard.press("Home");
  await expect(rootItem).toBeFocused();

  await page.screenshot({ path: test.info().outputPath("failed-step.png"), fullPage: true });
});

test("the run list sorts by duration and filters by a known agent, on the server", async ({ page }) => {
  // The rows' values once the page the address names has loaded: a filter is a form submitted by
  // GET, a whole new document, whose address is there while its rows are still arriving.
  const listed = async (attribute: string): Promise<(string | null)[]> => {
    await hydrated(page);
    await expect(page.getByTestId("run-row").first()).toBeVisible();
    return page.getByTestId("run-row").evaluateAll((trs, name) => trs.map((tr) => tr.getAttribute(name)), attribute);
  };
  await page.goto("/");
  await page.getByTestId("sort-duration").click();
  await expect(page).toHaveURL(/sort=duration/);
  const durations = (await listed("data-duration-ms")).map(Number);
  expect(durations.length).toBeGreaterThanOrEqual(2);
  expect(durations).toEqual([...durations].sort((a, b) => b - a));

  await page.getByTestId("sort-duration").click();
  await expect(page).toHaveURL(/order=asc/);
  const ascending = (await listed("data-duration-ms")).map(Number);
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));

  // Minimum duration: nothing shorter is listed.
  const threshold = Math.ceil(ascending[Math.floor(ascending.length / 2)] ?? 0);
  await page.goto(`/?min=${threshold}`);
  const longer = (await listed("data-duration-ms")).map(Number);
  expect(longer.length).toBeGreaterThanOrEqual(1);
  expect(longer.every((d) => d >= threshold)).toBe(true);

  await page.goto("/");
  const agents = await page.getByTestId("agent-filter").locator("option").evaluateAll((os) => os.map((o) => o.getAttribute("value") ?? "").filter((v) => v !== ""));
  expect(agents).toContain("supervisor");
  await page.getByTestId("agent-filter").selectOption("supervisor");
  await page.getByTestId("apply-filters").click();
  await expect(page).toHaveURL(/agent=supervisor/);
  const shown = await listed("data-agent");
  expect(shown.length).toBeGreaterThanOrEqual(1);
  expect(shown.every((a) => a === "supervisor")).toBe(true);
  await page.screenshot({ path: test.info().outputPath("runs-by-agent.png"), fullPage: true });
});

test("the filter form follows the filter a link set or cleared, and keeps the page size, so Apply never brings back a filter no longer shown", async ({ page }) => {
  await page.goto("/?limit=20");
  const form = page.getByTestId("run-filter-form");
  // An agent's name in the list filters by it, client-side (the page stays mounted).
  await page.getByTestId("run-row").first().locator('a[title^="Only runs of "]').click();
  await expect(page).toHaveURL(/agent=/);
  const agent = new URL(page.url()).searchParams.get("agent") ?? "";
  await expect(form.getByTestId("agent-filter")).toHaveValue(agent);
  // Applying another filter keeps that agent and the page size.
  await form.getByTestId("errors-filter").selectOption("no");
  await form.getByTestId("apply-filters").click();
  await expect(page).toHaveURL(/errors=no/);
  expect(new URL(page.url()).searchParams.get("agent")).toBe(agent);
  expect(new URL(page.url()).searchParams.get("limit")).toBe("20");
  await hydrated(page);
  // Clearing shows every field cleared; Apply then filters by nothing.
  await page.getByRole("link", { name: "Clear filters" }).click();
  await expect(page).not.toHaveURL(/agent=/);
  await expect(form.getByTestId("agent-filter")).toHaveValue("");
  await expect(form.getByTestId("errors-filter")).toHaveValue("");
  await form.getByTestId("apply-filters").click();
  await hydrated(page);
  const params = new URL(page.url()).searchParams;
  expect(params.get("agent") ?? "").toBe("");
  expect(params.get("errors") ?? "").toBe("");
});

test("insights chart the recorded runs: by status over time, error rate, tokens, latency by agent and tool", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Insights" }).click();
  await expect(page).toHaveURL(/\/insights/);
  await expect(page.getByTestId("insights-totals")).toContainText(/[\d,]+ runs · [\d,]+ failed/);
  for (const chart of ["chart-runs", "chart-error-rate", "chart-tokens"]) {
    await expect(page.getByTestId(chart).locator("svg.recharts-surface[role=application]")).toBeVisible();
  }
  await expect(page.getByTestId("chart-runs").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.locator('[data-testid="latency-agent"] [data-testid="latency-row"][data-name="supervisor"]')).toBeVisible();
  await expect(page.getByTestId("latency-tool").getByTestId("latency-row").first()).toBeVisible();
  await expect(page.locator('[data-testid="latency-node"] [data-testid="latency-row"][data-name="research"]')).toBeVisible();
  await expect(page.locator('[data-testid="latency-tool"] [data-testid="latency-row"][data-name="fetch_document"]')).toBeVisible();
  // p50 and p95 of every group, by agent, node, tool and model call: nearest-rank, so p50 ≤ p95.
  for (const kind of ["agent", "node", "tool", "llm"]) {
    const stats = await page
      .getByTestId(`latency-${kind}`)
      .getByTestId("latency-row")
      .evaluateAll((rows) => rows.map((r) => ({ count: Number(r.getAttribute("data-count")), p50: Number(r.getAttribute("data-p50-ms")), p95: Number(r.getAttribute("data-p95-ms")) })));
    expect(stats.length, `latency rows for ${kind}`).toBeGreaterThan(0);
    for (const s of stats) {
      expect(s.count).toBeGreaterThan(0);
      expect(s.p50).toBeGreaterThanOrEqual(0);
      expect(s.p95).toBeGreaterThanOrEqual(s.p50);
    }
  }
  // The error rate is drawn point to point, a dot on each bucket with finished runs: no smoothed curve.
  await expect(page.getByTestId("chart-error-rate").locator(".recharts-line-dot").first()).toBeVisible();
  expect(await page.getByTestId("chart-error-rate").locator(".recharts-line-curve").getAttribute("d")).not.toContain("C");
  await page.getByRole("link", { name: "Last hour" }).click();
  await expect(page).toHaveURL(/range=1h/);
  await expect(page.getByTestId("chart-runs").locator("svg.recharts-surface[role=application]")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("insights.png"), fullPage: true });
  // An agent's row leads to its runs, and its errors to its failed ones.
  await page.locator('[data-testid="latency-agent"] [data-testid="latency-row"][data-name="supervisor"]').getByRole("link").last().click();
  await expect(page).toHaveURL(/agent=supervisor/);
  await expect(page).toHaveURL(/status=error/);
  await expect(page.getByTestId("run-row").first()).toBeVisible();
});

test("insights leave a replay out of every figure, and say how many they left out", async ({ page }) => {
  const totals = async (): Promise<string> => {
    await page.goto("/insights");
    return page.getByTestId("insights-totals").innerText();
  };
  const replaysNoted = async (): Promise<number> => {
    const note = page.getByTestId("insights-replays");
    return (await note.count()) === 0 ? 0 : Number((await note.innerText()).match(/^([\d,]+)/)?.[1]?.replace(/,/g, ""));
  };
  const before = await totals();
  const replaysBefore = await replaysNoted();
  await page.goto("/?agent=supervisor&status=error");
  await page.getByTestId("run-link").first().click();
  await page.getByTestId("replay-reproduce").click();
  await expect(page.getByTestId("replay-outcome")).toHaveText(/reproduced/, { timeout: 30_000 });
  // The replay is a run of its own, with the recorded run's tokens: neither is counted again.
  expect(await totals()).toBe(before);
  expect(await replaysNoted()).toBe(replaysBefore + 1);
  await expect(page.getByTestId("insights-replays")).toContainText("not counted");
});
