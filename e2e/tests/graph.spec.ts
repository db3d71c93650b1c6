import { expect, test } from "../support/test.js";

// The agent graph on a run's page: the routes a supervisor took, the hops a choreography made.

test("a supervisor run shows the routes it took, and a choreography run its hops through queues", async ({ page }) => {
  await page.goto("/?agent=supervisor&status=ok");
  await page.getByTestId("run-link").first().click();
  const graph = page.getByTestId("agent-graph");
  await expect(graph).toBeVisible();
  await expect(graph.getByTestId("graph-route").first()).toContainText("start → planner");
  await expect(graph).toContainText("supervisor → research");

  await page.goto("/?agent=choreography&status=error");
  const links = await page.getByTestId("run-link").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
  let sawFailedHop = false;
  for (const href of links) {
    await page.goto(href);
    const hops = page.getByTestId("graph-hop");
    await expect(hops.first()).toBeVisible();
    await expect(hops.first()).toContainText("goal.received");
    if ((await page.locator('[data-testid="graph-hop"][data-failed="true"]').count()) > 0) {
      sawFailedHop = true;
      await expect(page.locator('[data-testid="graph-hop"][data-failed="true"]').first()).toContainText("failed ✕");
      await page.screenshot({ path: test.info().outputPath("hops.png"), fullPage: false });
      break;
    }
  }
  expect(sawFailedHop, "a failed choreography run shows its failed deliveries").toBe(true);
});
