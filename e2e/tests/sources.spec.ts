import { join } from "node:path";
import { expect, test } from "../support/test.js";
import { ROOT, startDashboard } from "../support/dashboard.js";

// Which source the dashboard reads is said on every page; a machine with nothing recorded, or
// settings that cannot be used, get a page that says what to do rather than a failure.

test("the shared dashboard names the local store it reads", async ({ page }) => {
  await page.goto("/");
  const source = page.getByTestId("source");
  await expect(source).toHaveAttribute("data-source", "store");
  await expect(source).toContainText("Local store");
  await expect(source).toContainText(process.env.E2E_DB ?? "traces.db");
});

test("with no local store yet, the pages say how to record a first run; an unknown source is named in the top bar", async ({ page }) => {
  test.setTimeout(120_000);
  const missing = join(ROOT, "no-such-dir", "traces.db");
  const empty = await startDashboard({ TRACEWRIGHT_DB: missing });
  try {
    await page.goto(`${empty.url}/`);
    const state = page.getByTestId("empty-state");
    await expect(state).toHaveAttribute("data-reason", "no-store");
    await expect(state).toContainText(missing);
    await expect(state).toContainText("npm start");
    await expect(state).toContainText("npx tracewright agents run supervisor");
    await page.goto(`${empty.url}/insights`);
    await expect(page.getByTestId("empty-state")).toHaveAttribute("data-reason", "no-store");
    await page.screenshot({ path: test.info().outputPath("no-store.png"), fullPage: false });
    await page.goto("about:blank");
  } finally {
    await empty.stop();
  }

  const wrong = await startDashboard({ TRACEWRIGHT_SOURCE: "xray" });
  try {
    await page.goto(`${wrong.url}/`);
    const source = page.getByTestId("source");
    await expect(source).toHaveAttribute("data-source", "invalid");
    await expect(source).toHaveAttribute("role", "alert");
    await expect(source).toContainText('TRACEWRIGHT_SOURCE is "xray"; expected store or cloudwatch');
    await expect(page.getByTestId("error-state")).toContainText("The top bar names the source read");
    await page.screenshot({ path: test.info().outputPath("bad-source.png"), fullPage: false });
    await page.goto("about:blank");
  } finally {
    await wrong.stop();
  }
});
