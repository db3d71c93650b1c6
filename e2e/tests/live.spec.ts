import { expect, test } from "../support/test.js";
import type { Page } from "@playwright/test";
import { init, runWithResult, tool } from "@tracewright/instrument";
import { COLLECTOR, hex, post, str } from "../support/otlp.js";

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

test("an edit in the fork editor of a live run's step survives the page's refreshes", async ({ page }) => {
  const run = liveRun("live-fork");
  await run.startChild();
  try {
    await page.goto(`/runs/${run.runId}?step=${encodeURIComponent("live-fork/node:plan#0")}`);
    await expect(page.getByTestId("live-indicator")).toBeVisible();
    await page.getByTestId("fork-form").locator("summary").click();
    const editor = page.getByTestId("fork-state");
    await expect(editor).toHaveValue(/"step": 1/);
    await editor.fill('{ "step": 2, "edited": true }');
    // The root arrives: the page refreshes (the run ends, its steps come anew) with the editor open.
    await run.endRun();
    await expect(page.getByTestId("step-row")).toHaveCount(2, { timeout: 8000 });
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "ok");
    await expect(editor).toHaveValue('{ "step": 2, "edited": true }');
  } finally {
    // Again if the test failed before (delivery is idempotent): left running, the run would keep later run lists polling.
    await run.endRun();
  }
});

/** A running run's page opened under Playwright's clock; `refreshes` counts the page's own refreshes (RSC requests for its address, not prefetches of links). */
async function openLiveRunWithClock(page: Page, agent: string): Promise<{ run: ReturnType<typeof liveRun>; refreshes: () => number }> {
  const run = liveRun(agent);
  await run.startChild();
  await page.clock.install();
  let count = 0;
  page.on("request", (request) => {
    if (request.headers().rsc === "1" && new URL(request.url()).pathname === `/runs/${run.runId}`) count++;
  });
  await page.goto(`/runs/${run.runId}`);
  return { run, refreshes: () => count };
}

/**
 * The refresh count once it has held for half a second: a refresh the page sent just before it
 * stopped polling can reach the count a little after the page shows it has stopped.
 */
async function settled(refreshes: () => number): Promise<number> {
  let last = -1;
  await expect
    .poll(
      () => {
        const now = refreshes();
        const same = now === last;
        last = now;
        return same;
      },
      { intervals: [500] },
    )
    .toBe(true);
  return last;
}

test("a run that never ends (its process died): the page stops polling after 10 quiet minutes, says so, and resumes on demand", async ({ page }) => {
  const { run, refreshes } = await openLiveRunWithClock(page, "live-quiet");
  const indicator = page.getByTestId("live-indicator");
  await expect(indicator).toHaveAttribute("data-state", "live");
  await expect.poll(refreshes, { timeout: 8000 }).toBeGreaterThan(0);
  // Ten minutes with nothing new: the run's step count and duration never changed.
  await page.clock.fastForward("10:01");
  await expect(indicator).toHaveAttribute("data-state", "paused");
  await expect(indicator).toContainText("nothing changed for 10 min");
  const before = await settled(refreshes);
  await page.clock.runFor(10_000);
  expect(refreshes()).toBe(before);
  // The run did end after all: Resume polls again and picks it up.
  await run.endRun();
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "ok", { timeout: 8000 });
  await expect(indicator).toHaveCount(0);
});

test("a hidden tab does not poll a running run, and refreshes once it is shown again", async ({ page }) => {
  const { run, refreshes } = await openLiveRunWithClock(page, "live-hidden");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-state", "live");
  const setHidden = (hidden: boolean) =>
    page.evaluate((h) => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => h });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  await setHidden(true);
  const before = await settled(refreshes);
  await page.clock.runFor(20_000);
  expect(refreshes()).toBe(before);
  await run.endRun();
  await setHidden(false);
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "ok", { timeout: 8000 });
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

test("a run recorded by the instrumentation is listed as running from its start, before any step has ended", async ({ page }) => {
  // The real library, exporting to the shared collector on its batch schedule: no flush until
  // the run has ended, so what the list shows first is the run-start span alone.
  const tracing = init({ endpoint: COLLECTOR, serviceName: "e2e-run-start", register: false });
  const agent = `run-start-${hex(3)}`;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const finished = runWithResult(agent, { question: "is it listed yet?" }, () => tool("slow_search", { q: "pricing" }, async () => (await gate, { hits: 3 })));
  try {
    const row = page.locator(`[data-testid="run-row"][data-agent="${agent}"]`);
    // Within the batch delay (1 s): a list with no running run does not poll, so look again.
    await expect(async () => {
      await page.goto(`/?agent=${agent}`);
      await expect(row).toHaveAttribute("data-status", "running", { timeout: 500 });
    }).toPass({ timeout: 8000 });
    const runId = (await row.getAttribute("data-run-id")) ?? "";
    await page.goto(`/runs/${runId}`);
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "running");
    // The run-start span is not a step: nothing has ended yet, so no step is listed; but the
    // run's input is known from its start, and shown as text.
    await expect(page.getByTestId("step-row")).toHaveCount(0);
    await expect(page.getByTestId("run-input-panel")).toContainText("is it listed yet?");
    await expect(page.getByTestId("step-detail")).toContainText("No step of this run has ended yet.");
    await page.screenshot({ path: test.info().outputPath("running-run-input.png"), fullPage: false });
    release();
    const result = await finished;
    expect(result).toMatchObject({ runId, status: "ok", output: { hits: 3 } });
    await tracing.flush();
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "ok", { timeout: 8000 });
    await expect(page.getByTestId("step-row")).toHaveCount(2);
    // No step was there to open when the page came; now there are, the panel says to pick one.
    await expect(page.getByTestId("step-detail")).toContainText("Choose a step");
    await expect(page.getByTestId("step-detail")).not.toHaveAttribute("aria-busy", "true");
    // Ended, the run's input is its root step's, shown with the step.
    await expect(page.getByTestId("run-input-panel")).toHaveCount(0);
  } finally {
    release();
    await tracing.shutdown();
  }
});

test("a step chosen on a live run's page stays chosen when a refresh brings steps before it", async ({ page }) => {
  // Steps arrive as they end, so a node that started first but ends later lands above its
  // children already shown: what is selected, highlighted and forked from must follow the step.
  const agent = "live-shift";
  const runId = `${agent}-${hex(6)}`;
  const traceId = hex(16);
  const root = hex(8);
  const work = hex(8);
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = (spanId: string, parentSpanId: string, key: string, kind: string, startMs: number, endMs: number) => ({
    traceId,
    spanId,
    parentSpanId,
    name: key.replace(/^.*[/:]([^/:#]+)#\d+$/, "$1"),
    kind: 1,
    startTimeUnixNano: String(now + BigInt(startMs) * 1_000_000n),
    endTimeUnixNano: String(now + BigInt(endMs) * 1_000_000n),
    status: { code: 1 },
    attributes: [str("tracewright.run.id", runId), str("tracewright.step.key", key), str("tracewright.step.kind", kind), str("input.value", JSON.stringify({ key }))],
  });
  const fetchKey = `${agent}/node:work#0/tool:fetch#0`;
  await post([span(hex(8), root, `${agent}/node:plan#0`, "node", 1, 5), span(hex(8), work, fetchKey, "tool", 7, 8)], "e2e-live");
  // The root ends the run at the end, whatever happens before (left running, it would keep every later test's run list polling).
  const { parentSpanId: _, ...rootSpan } = span(root, "", agent, "agent", 0, 10);
  const endRun = () => post([rootSpan], "e2e-live");
  const selected = page.locator('[data-testid="step-row"][data-selected="true"]');
  try {
    await page.goto(`/runs/${runId}?step=${encodeURIComponent(fetchKey)}`);
    await expect(page.getByTestId("live-indicator")).toBeVisible();
    await expect(selected).toHaveAttribute("data-step-key", fetchKey);
    await expect(page.getByTestId("step-key")).toHaveText(fetchKey);

    // The tool's node ends: it is listed above the tool, which moves down a row.
    await post([span(work, root, `${agent}/node:work#0`, "node", 6, 9)], "e2e-live");
    await expect(page.getByTestId("step-row")).toHaveCount(3, { timeout: 8000 });
    await expect(page.locator('[data-testid="step-row"][data-index="2"]')).toHaveAttribute("data-step-key", fetchKey);
    await expect(selected).toHaveAttribute("data-step-key", fetchKey);
    await expect(page.getByTestId("step-detail")).toHaveAttribute("data-step-key", fetchKey);
    await expect(page.getByTestId("step-key")).toHaveText(fetchKey);
    await expect(page.locator(".step-path [aria-current]")).toHaveText("fetch");
    await page.screenshot({ path: test.info().outputPath("live-shift.png"), fullPage: false });
  } finally {
    await endRun();
  }
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "ok", { timeout: 8000 });
  await expect(selected).toHaveAttribute("data-step-key", fetchKey);
});
