import { expect, test } from "../support/test.js";
import type { Page } from "@playwright/test";
import { hex, post, str } from "../support/otlp.js";

// A step, read closely, on a successful supervisor run that `npm start` recorded: a model call's
// model, tokens and latency; its state copied whole; the JSON search stepped through by keyboard;
// what a node changed, from its input to its output and from the previous node's output.

async function openSuccessfulRun(page: Page): Promise<void> {
  await page.goto("/?agent=supervisor&status=ok");
  await page.getByTestId("run-link").first().click();
  await expect(page.getByTestId("step-detail")).toBeVisible();
}

async function openStep(page: Page, keyPart: string): Promise<string> {
  const row = page.locator(`[data-testid="step-row"][data-step-key*="${keyPart}"]`).first();
  const key = (await row.getAttribute("data-step-key")) ?? "";
  await row.getByRole("treeitem").click();
  await expect(page.getByTestId("step-detail")).toHaveAttribute("data-step-key", key);
  return key;
}

test("a model call shows its model, tokens and latency; its state copies whole; search steps with Enter and Shift+Enter", async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
  await openSuccessfulRun(page);
  await openStep(page, "/llm:");
  const facts = page.getByTestId("step-facts");
  await expect(facts.locator('[data-fact="model"] dd')).not.toBeEmpty();
  await expect(facts.locator('[data-fact="input tokens"] dd')).toHaveText(/^\d+$/);
  await expect(facts.locator('[data-fact="output tokens"] dd')).toHaveText(/^\d+$/);
  await expect(facts.locator('[data-fact="operation"] dd')).toHaveText("chat");
  await expect(page.getByTestId("step-latency")).toHaveText(/\d/);
  // A request and its answer: no "what changed" between them (a node's state has one).
  await expect(page.getByTestId("diff-io")).toHaveCount(0);
  // Read as a conversation (a Bedrock Converse request): the system prompt, the user's message,
  // and the model's answer last, each its text as recorded.
  const chat = page.getByTestId("step-chat");
  const messages = chat.getByTestId("chat-message");
  await expect(messages.first()).toHaveAttribute("data-role", "system");
  await expect(chat.locator('[data-testid="chat-message"][data-role="user"]').first()).not.toBeEmpty();
  await expect(messages.last()).toHaveAttribute("data-from", "answer");

  // Copy: the whole state, as JSON, on the clipboard.
  await page.getByTestId("step-input-copy").click();
  await expect(page.getByTestId("step-input-copy")).toHaveText("Copied");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  const parsed = JSON.parse(copied) as unknown;
  expect(typeof parsed).toBe("object");
  // The conversation's first user message is the request's, word for word.
  const said = (parsed as { messages: { content: { text: string }[] }[] }).messages[0]?.content[0]?.text.split("\n")[0] ?? "";
  expect(said).not.toBe("");
  await expect(chat.locator('[data-role="user"]').first()).toContainText(said);
  const shown = await page.getByTestId("step-input").innerText();
  const firstKey = Object.keys(parsed as Record<string, unknown>)[0]!;
  expect(shown).toContain(firstKey);

  // Search: Enter goes to the next hit, Shift+Enter back, wrapping around.
  const search = page.getByTestId("step-input-search");
  await search.fill('"');
  const matches = page.getByTestId("step-input-matches");
  await expect(matches).toContainText(/^1 of (\d+)/);
  const total = Number((await matches.innerText()).match(/of (\d+)/)?.[1]);
  expect(total).toBeGreaterThan(1);
  await search.press("Enter");
  await expect(matches).toContainText(`2 of ${total}`);
  await search.press("Shift+Enter");
  await expect(matches).toContainText(`1 of ${total}`);
  await search.press("Shift+Enter");
  await expect(matches).toContainText(`${total} of ${total}`);
  await page.screenshot({ path: test.info().outputPath("model-call.png"), fullPage: true });
});

test("what a node changed: input to output, and from the previous node's output to its input", async ({ page }) => {
  await openSuccessfulRun(page);
  await openStep(page, "/node:planner#");
  const diff = page.getByTestId("step-diff");
  await expect(page.getByTestId("diff-io")).toHaveAttribute("aria-pressed", "true");
  await expect(diff).toHaveAttribute("data-changes", /^[1-9]\d*$/);
  // Each change says what it is in words and signs, not colour alone.
  await expect(diff.locator("tbody tr").first()).toContainText(/\+ added|− removed|~ changed/);

  await openStep(page, "/node:supervisor#");
  await page.getByTestId("diff-previous").click();
  await expect(page.getByTestId("diff-previous")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("diff-previous")).toContainText(/Previous node \((planner|approve)\)/);
  await expect(page.getByTestId("step-diff")).toHaveAttribute("data-changes", /^\d+$/);
  await page.screenshot({ path: test.info().outputPath("node-diff.png"), fullPage: true });
});

test("statuses read without colour: a failed step's row names its status to assistive technology and shows a shape", async ({ page }) => {
  await page.goto("/?status=error&agent=supervisor");
  await page.getByTestId("run-link").first().click();
  const failing = page.locator('[data-testid="step-row"][data-status="error"]').first();
  await expect(failing).toContainText("✕");
  await expect(failing.getByRole("treeitem")).toHaveAccessibleName(/\berror\b/);
  const ok = page.locator('[data-testid="step-row"][data-status="ok"]').first();
  await expect(ok).toContainText("✓");
  await expect(ok.getByRole("treeitem")).toHaveAccessibleName(/\bok\b/);
  await expect(page.getByTestId("run-status")).toContainText("error");
});

test("empty and error states say what to do next", async ({ page }) => {
  const missing = await page.goto("/runs/no-such-run-4711");
  expect(missing?.status()).toBe(404);
  const notFound = page.getByTestId("run-not-found");
  await expect(notFound).toContainText("no-such-run-4711");
  await expect(notFound).toContainText("not have been recorded on this machine");
  await notFound.getByRole("link", { name: "See every run" }).click();
  await expect(page.getByTestId("run-row").first()).toBeVisible();

  await page.goto("/compare");
  await expect(page.getByTestId("empty-state")).toHaveAttribute("data-reason", "missing-params");
  await expect(page.getByTestId("empty-state")).toContainText("/compare?a=RUN_ID&b=RUN_ID");

  await page.goto("/compare?a=nope-a&b=nope-b");
  await expect(page.getByTestId("empty-state")).toHaveAttribute("data-reason", "not-found");
  await expect(page.getByTestId("empty-state")).toContainText("nope-a");
  await page.getByTestId("empty-state").getByRole("link", { name: "See every run" }).click();
  await expect(page.getByTestId("run-row").first()).toBeVisible();

  await page.goto("/?cursor=not-a-cursor");
  await expect(page.getByTestId("empty-state")).toHaveAttribute("data-reason", "bad-cursor");
  await page.getByTestId("empty-state").getByRole("link", { name: "Start from the newest runs" }).click();
  await expect(page.getByTestId("run-row").first()).toBeVisible();

  // A NUL in the text (the store's index cannot search for one): the store's words, not a failed page.
  await page.goto("/?q=ab%00cd");
  await expect(page.getByTestId("empty-state")).toHaveAttribute("data-reason", "bad-query");
  await expect(page.getByTestId("bad-query-message")).toContainText("text must not contain the NUL character (U+0000)");
  await page.getByTestId("empty-state").getByRole("link", { name: "Clear the filters" }).click();
  await expect(page.getByTestId("run-row").first()).toBeVisible();

});

test("a step's offset into a day-long run is its own start, not its waterfall bar's rounded position", async ({ page }) => {
  const runId = `day-${hex(6)}`;
  const traceId = hex(16);
  const rootId = hex(8);
  const start = BigInt(Date.now() - 25 * 3600 * 1000) * 1_000_000n;
  const ms = (n: number): bigint => BigInt(n) * 1_000_000n;
  const step = (key: string, kind: string) => [str("tracewright.run.id", runId), str("tracewright.step.key", key), str("tracewright.step.kind", kind), str("input.value", "{}"), str("output.value", "{}")];
  await post([
    { traceId, spanId: rootId, name: "invoke_agent day", kind: 1, startTimeUnixNano: String(start), endTimeUnixNano: String(start + ms(24 * 3600 * 1000)), status: { code: 1 }, attributes: [...step("day", "agent"), str("gen_ai.agent.name", "day")] },
    // 33 min 20.123 s in: 2.3149 % of the day, a bar at 2.31 %, which is 33 min 15.8 s.
    { traceId, spanId: hex(8), parentSpanId: rootId, name: "execute_tool wait", kind: 1, startTimeUnixNano: String(start + ms(2_000_123)), endTimeUnixNano: String(start + ms(2_000_623)), status: { code: 1 }, attributes: step("day/tool:wait#0", "tool") },
  ]);
  await page.goto(`/runs/${runId}?step=${encodeURIComponent("day/tool:wait#0")}`);
  await expect(page.getByTestId("step-key")).toHaveText("day/tool:wait#0");
  await expect(page.getByTestId("step-offset")).toHaveText("+33m 20s");
  // No replay entry point for this agent here: said before any click, the controls off.
  await expect(page.getByTestId("replay-reproduce")).toBeDisabled();
  await expect(page.getByTestId("replay-verify")).toBeDisabled();
  await expect(page.getByTestId("replay-unavailable")).toContainText("replay a run of day from its own code");
});
