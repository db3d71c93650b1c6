import { expect, test } from "@playwright/test";
import { hex, post, str } from "../support/otlp.js";

// A live run appearing while it runs: listed as running before its root arrives, and both the
// run's page and the run list refresh themselves until it has ended.

/** A run sent in two halves: a child step first (the run is then running), its root later (it ends). */
function liveRun(agent: string) {
  const runId = `${agent}-${hex(6)}`;
  const traceId = hex(16);
  const root = hex(8);
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = (spanId: string, name: string, key: string, kind: string, startMs: number, endMs: number, extra: ReturnType<typeof str>[] = [], parentSpanId?: string) => ({
    traceId,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name,
    kind: 1,
    startTimeUnixNano: String(now + BigInt(startMs) * 1_000_000n),
    endTimeUnixNano: String(now + BigInt(endMs) * 1_000_000n),
    status: { code: 1 },
    attributes: [str("tracewright.run.id", runId), str("tracewright.step.key", key), str("tracewright.step.kind", kind), ...extra],
  });
  return {
    runId,
    startChild: () => post([span(hex(8), "plan", `${agent}/node:plan#0`, "node", 1, 5, [str("input.value", '{"step":1}')], root)], "e2e-live"),
    endRun: () => post([span(root, agent, agent, "agent", 0, 9, [str("gen_ai.agent.name", agent)])], "e2e-live"),
  };
}

test("a running run's page refreshes until it ends", async ({ page }) => {
  const run = liveRun("live-agent");
  await run.startChild();
  await page.goto(`/runs/${run.runId}`);
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "running");
  await expect(page.getByTestId("live-indicator")).toBeVisible();
  await run.endRun();
  // No reload: the page polls and picks up the end of the run.
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "ok", { timeout: 8000 });
  await expect(page.getByTestId("live-indicator")).toHaveCount(0);
  await expect(page.getByTestId("step-row")).toHaveCount(2);
  await page.screenshot({ path: test.info().outputPath("live-ended.png"), fullPage: true });
});

test("a run in progress appears in the run list as running, and the list follows it to its end", async ({ page }) => {
  const agent = `live-list-${hex(3)}`;
  const run = liveRun(agent);
  await run.startChild();
  await page.goto(`/?agent=${agent}`);
  const row = page.locator(`[data-testid="run-row"][data-run-id="${run.runId}"]`);
  await expect(row).toHaveAttribute("data-status", "running");
  await expect(row).toContainText("running"); // the word, not only a colour
  await expect(page.getByTestId("live-indicator")).toContainText("until no run listed here is running");
  await page.screenshot({ path: test.info().outputPath("live-list-running.png"), fullPage: false });

  await run.endRun();
  // No reload: the list polls while a listed run is running, and stops once none is.
  await expect(row).toHaveAttribute("data-status", "ok", { timeout: 8000 });
  await expect(page.getByTestId("live-indicator")).toHaveCount(0);
  // A list without running runs does not poll.
  await page.goto("/?status=ok");
  await expect(page.getByTestId("run-row").first()).toBeVisible();
  await expect(page.getByTestId("live-indicator")).toHaveCount(0);
});
