import { expect, test } from "../support/test.js";
import type { Page } from "@playwright/test";
import { hex, post, str } from "../support/otlp.js";

// Recorded payloads are untrusted: markup and script in them are shown as text, never run.
// The spans are ingested the way any instrumentation sends them: OTLP/HTTP JSON to the collector.

const SCRIPT = "<script>window.__pwned = 'script'</script>";
const IMG = `<img src=x onerror="window.__pwned='img';alert('img')">`;
const LINK = "javascript:window.__pwned='link';alert('link')";
const SVG = `<svg onload="window.__pwned='svg'"></svg>`;

function watch(page: Page): string[] {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return dialogs;
}

test("payloads of HTML and script are displayed as text and nothing in them runs", async ({ page }) => {
  const runId = `xss-${hex(6)}`;
  const traceId = hex(16);
  const root = hex(8);
  const tool = hex(8);
  const model = hex(8);
  const streamedModel = hex(8);
  const langchainModel = hex(8);
  const now = BigInt(Date.now()) * 1_000_000n;
  const lc = (cls: string, kwargs: Record<string, unknown>) => ({ lc: 1, type: "constructor", id: ["langchain_core", "messages", cls], kwargs });
  /** The run's `n`th model call (`xss-agent/llm:m#n`), its request and answer recorded as given. */
  const modelCall = (spanId: string, n: number, request: unknown, answer: unknown) => ({
    traceId,
    spanId,
    parentSpanId: root,
    name: "chat",
    kind: 1,
    startTimeUnixNano: String(now + BigInt(2 + 2 * n) * 1_000_000n),
    endTimeUnixNano: String(now + BigInt(3 + 2 * n) * 1_000_000n),
    status: { code: 0 },
    attributes: [str("tracewright.run.id", runId), str("tracewright.step.key", `xss-agent/llm:m#${n}`), str("tracewright.step.kind", "llm"), str("input.value", JSON.stringify(request)), str("output.value", JSON.stringify(answer))],
  });
  const agent = `<img src=x onerror="window.__pwned='agent'">agent`;
  await post([
    {
      traceId,
      spanId: root,
      name: "xss-agent",
      kind: 1,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 50_000_000n),
      status: { code: 2, message: IMG },
      attributes: [
        str("tracewright.run.id", runId),
        str("tracewright.step.key", "xss-agent"),
        str("tracewright.step.kind", "agent"),
        str("gen_ai.agent.name", agent),
        str("input.value", JSON.stringify({ [SCRIPT]: IMG, link: LINK, svg: SVG, nested: { html: `<a href="${LINK}">click</a>` } })),
        str("output.value", `${SCRIPT}<b>not bold</b>`),
      ],
    },
    {
      traceId,
      spanId: tool,
      parentSpanId: root,
      name: "tool",
      kind: 1,
      startTimeUnixNano: String(now + 1_000_000n),
      endTimeUnixNano: String(now + 40_000_000n),
      status: { code: 2, message: SCRIPT },
      attributes: [str("tracewright.run.id", runId), str("tracewright.step.key", `xss-agent/tool:${IMG}#0`), str("tracewright.step.kind", "tool"), str("input.value", JSON.stringify({ url: LINK, body: SVG }))],
      events: [{ name: "exception", timeUnixNano: String(now + 40_000_000n), attributes: [str("exception.type", "<i>XssError</i>"), str("exception.message", IMG), str("exception.stacktrace", `${SCRIPT}\n    at tool (<b>agent.ts</b>:1:1)`)] }],
    },
    // A model call whose conversation carries markup in every place the chat view writes text.
    modelCall(model, 0, { model: "m", system: [{ text: SCRIPT }], messages: [{ role: IMG, content: [{ text: IMG }, { toolUse: { toolUseId: SVG, name: `<b>${SVG}</b>`, input: { html: SCRIPT } } }] }, { role: "user", content: [{ toolResult: { toolUseId: "t", content: [{ text: LINK }] } }] }] }, { output: { message: { role: "assistant", content: [{ text: `<a href="${LINK}">${SVG}</a>` }] } } }),
    // A streamed answer (llmStream): its chunks carry markup in the text and the tool call.
    modelCall(streamedModel, 1, { model: "m", messages: [{ role: "user", content: "go" }] }, {
      events: [
        { choices: [{ index: 0, delta: { role: "assistant", content: "<b>" } }] },
        { choices: [{ index: 0, delta: { content: `${SCRIPT}</b>` } }] },
        { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: IMG, function: { name: `<i>${SVG}</i>`, arguments: JSON.stringify({ html: IMG }) } }] } }] },
      ],
    }),
    // A LangChain model call: its messages as their toJSON wrote them, markup in each.
    modelCall(
      langchainModel,
      2,
      {
        model: "m",
        messages: [
          lc("SystemMessage", { content: SCRIPT }),
          lc("HumanMessage", { content: IMG }),
          lc("AIMessage", { content: "", tool_calls: [{ name: `<b>${SVG}</b>`, args: { html: IMG }, id: "call_1" }] }),
          lc("ToolMessage", { content: LINK, tool_call_id: "call_1", status: "error" }),
        ],
      },
      lc("AIMessage", { content: `<i>${SCRIPT}</i>`, usage_metadata: { input_tokens: 3, output_tokens: 1 } }),
    ),
  ]);

  const dialogs = watch(page);

  // The list, found by text search for the markup itself.
  await page.goto(`/?q=${encodeURIComponent("onerror")}`);
  const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(agent);

  // The run page: the failing tool step first, its error and input as text.
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId("step-error-message")).toHaveText(IMG);
  await expect(page.getByTestId("step-error-type")).toHaveText("<i>XssError</i>");
  await expect(page.getByTestId("step-error-stack")).toContainText(SCRIPT);
  // The JSON viewer shows strings as JSON writes them (quotes escaped), markup and all.
  await expect(page.getByTestId("step-input")).toContainText(JSON.stringify(LINK));
  await expect(page.getByTestId("step-input")).toContainText(JSON.stringify(SVG));
  await expect(page.locator('[data-testid="step-row"]').nth(1)).toContainText(IMG);

  // The root, opened from the tree: loaded through the API, rendered as text.
  await page.locator('[data-testid="step-row"][data-index="0"] [role="treeitem"]').click();
  await expect(page.getByTestId("step-detail")).toHaveAttribute("data-step-key", "xss-agent");
  await expect(page.getByTestId("step-input")).toContainText(JSON.stringify(SCRIPT));
  await expect(page.getByTestId("step-input")).toContainText(JSON.stringify(`<a href="${LINK}">click</a>`));
  await expect(page.getByTestId("step-output")).toHaveText(`${SCRIPT}<b>not bold</b>`);
  await page.getByTestId("step-input-search").fill("onerror");
  await expect(page.getByTestId("step-input-matches")).toContainText("1 of 1");

  // The model call's conversation: roles, texts, tool names, ids and results, as text.
  await page.locator('[data-testid="step-row"][data-step-key="xss-agent/llm:m#0"] [role="treeitem"]').click();
  const chat = page.getByTestId("step-chat");
  await expect(chat.getByTestId("chat-message").first()).toHaveText(`system${SCRIPT}`);
  await expect(chat.getByTestId("chat-message").nth(1)).toHaveAttribute("data-role", IMG);
  await expect(chat.getByTestId("chat-message").nth(1)).toContainText(IMG);
  await expect(chat.getByTestId("chat-tool-call")).toContainText(`calls <b>${SVG}</b> ${SVG}`);
  await expect(chat.getByTestId("chat-tool-result")).toContainText(LINK);
  await expect(chat.getByTestId("chat-message").last()).toContainText(`<a href="${LINK}">${SVG}</a>`);

  // The streamed answer, put back together from its chunks: as text too.
  await page.locator('[data-testid="step-row"][data-step-key="xss-agent/llm:m#1"] [role="treeitem"]').click();
  const answer = page.getByTestId("step-chat").getByTestId("chat-message").last();
  await expect(answer).toContainText(`<b>${SCRIPT}</b>`);
  await expect(answer.getByTestId("chat-tool-call")).toContainText(`calls <i>${SVG}</i> ${IMG}`);
  await expect(answer.getByTestId("chat-tool-call")).toContainText(JSON.stringify(IMG));

  // A LangChain conversation: classes read as roles, its parts as text.
  await page.locator('[data-testid="step-row"][data-step-key="xss-agent/llm:m#2"] [role="treeitem"]').click();
  const lcChat = page.getByTestId("step-chat").getByTestId("chat-message");
  await expect(lcChat.first()).toHaveText(`system${SCRIPT}`);
  await expect(lcChat.nth(1)).toHaveAttribute("data-role", "user");
  await expect(lcChat.nth(1)).toContainText(IMG);
  await expect(lcChat.nth(2).getByTestId("chat-tool-call")).toContainText(`calls <b>${SVG}</b>`);
  await expect(lcChat.nth(3).getByTestId("chat-tool-result")).toContainText(LINK);
  await expect(lcChat.nth(3).getByTestId("chat-tool-result")).toContainText("error result");
  await expect(lcChat.last()).toContainText(`<i>${SCRIPT}</i>`);

  // None of it became markup: no injected elements, no javascript: links, no flag, no dialog.
  expect(await page.locator('main img, main svg, main script, main b, main i, main a[href^="javascript:"]').count()).toBe(0);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);

  // The API serves recorded data as JSON that browsers do not sniff into HTML.
  const api = await page.request.get(`/api/runs/${runId}/spans/${tool}/input`);
  expect(api.headers()["content-type"]).toContain("application/json");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");

  await page.screenshot({ path: test.info().outputPath("xss.png"), fullPage: true });
});

test("a large state is not shipped with the page but loaded when asked for", async ({ page }) => {
  const runId = `large-${hex(6)}`;
  const now = BigInt(Date.now()) * 1_000_000n;
  const rows = Array.from({ length: 3000 }, (_, i) => ({ row: i, text: `line ${i} of a large recorded state` }));
  const input = JSON.stringify({ rows, marker: "END-OF-LARGE-STATE" });
  expect(input.length).toBeGreaterThan(100 * 1024);
  await post([
    {
      traceId: hex(16),
      spanId: hex(8),
      name: "large-agent",
      kind: 1,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 2_000_000n),
      status: { code: 1 },
      attributes: [str("tracewright.run.id", runId), str("tracewright.step.key", "large-agent"), str("tracewright.step.kind", "agent"), str("gen_ai.agent.name", "large-agent"), str("input.value", input), str("output.value", '{"ok":true}')],
    },
  ]);
  const response = await page.goto(`/runs/${runId}`);
  expect((await response!.text()).includes("END-OF-LARGE-STATE")).toBe(false);
  const state = page.getByTestId("step-input");
  await expect(state).toHaveAttribute("data-large", "true");
  await expect(state).toContainText(/This state is \d+(\.\d)? KB/);
  // Until it is loaded, a fork from this step cannot start: its editor would hold null, not the state.
  await page.getByTestId("fork-form").locator("summary").click();
  await expect(page.getByTestId("fork-needs-state")).toBeVisible();
  await expect(page.getByTestId("fork-submit")).toBeDisabled();
  await page.getByTestId("step-input-load").click();
  await expect(page.getByTestId("fork-state")).toHaveValue(/END-OF-LARGE-STATE/);
  await expect(page.getByTestId("fork-submit")).toBeEnabled();
  await page.getByTestId("step-input-search").fill("END-OF-LARGE");
  await expect(page.getByTestId("step-input-matches")).toContainText("1 of 1");
  await expect(page.locator('[data-testid="step-input"] .json-line.current')).toContainText("END-OF-LARGE-STATE");
  await page.screenshot({ path: test.info().outputPath("large-state.png"), fullPage: false });
});
