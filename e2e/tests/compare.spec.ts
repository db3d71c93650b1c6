import { expect, test } from "../support/test.js";

// Comparing the failed tool_error run with a successful run of the same agent, from its run page.

test("comparing a failed run with another run of the same agent shows where they diverge", async ({ page }) => {
  // "returned 503" is the tool_error failure's own phrase ("503" alone is in some clock reads).
  await page.goto(`/?status=error&agent=supervisor&q=${encodeURIComponent("returned 503")}`);
  await page.getByTestId("run-link").first().click();
  const failedId = (await page.getByTestId("run-id").innerText()).trim();

  const picker = page.getByTestId("compare-picker");
  await expect(picker).toBeVisible();
  const okOption = await page
    .getByTestId("compare-select")
    .locator("option")
    .evaluateAll((options) => options.map((o) => ({ value: o.getAttribute("value") ?? "", text: o.textContent ?? "" })).find((o) => o.text.includes(" · ok · ")));
  expect(okOption, "a successful supervisor run to compare with").toBeDefined();
  await page.getByTestId("compare-select").selectOption(okOption!.value);
  await page.getByTestId("compare-submit").click();

  await expect(page).toHaveURL(new RegExp(`/compare\\?a=${encodeURIComponent(failedId)}&b=`));
  await expect(page.getByTestId("compare-run-a")).toContainText(failedId);
  await expect(page.getByTestId("compare-run-b")).toContainText(okOption!.value);
  const table = page.getByTestId("compare-table");
  await expect(table).toBeVisible();
  // Both runs share the root: aligned on one row, by key.
  await expect(page.locator('[data-testid="compare-row"]').first()).toHaveAttribute("data-key", "supervisor");

  const first = page.locator('[data-testid="compare-row"][data-first-divergence="true"]');
  await expect(first).toHaveCount(1);
  await expect(first).toContainText("first divergence");
  const diff = (await first.getAttribute("data-diff")) ?? "";
  expect(diff).toMatch(/presence|input|output/);
  const key = await first.getAttribute("data-key");
  await expect(page.getByTestId("compare-summary")).toContainText(`First divergence at ${key}`);
  // Every row above it is in both runs with the same input (a parent's output may differ: it
  // carries what diverged below) — but the roots, given their scenarios' different inputs, which
  // the summary says, and which are not where the runs' steps parted.
  const above = await page.locator('[data-testid="compare-row"]').evaluateAll((rows) => {
    const out: string[] = [];
    for (const row of rows) {
      if (row.getAttribute("data-first-divergence") === "true") break;
      out.push(row.getAttribute("data-diff") ?? "");
    }
    return out;
  });
  expect(key).not.toBe("supervisor");
  expect(above[0]).toMatch(/input/);
  await expect(page.getByTestId("compare-inputs-differ")).toHaveText("The runs were given different inputs.");
  expect(above.slice(1).every((d) => !/presence|input/.test(d))).toBe(true);

  await page.getByTestId("compare-summary").getByRole("link", { name: /First divergence/ }).click();
  await expect(first).toBeInViewport();
  await page.screenshot({ path: test.info().outputPath("compare.png"), fullPage: false });
});
