import { expect, test } from "../support/test.js";
import { hex, post, str } from "../support/otlp.js";

// A run of thousands of steps: the tree and the waterfall keep only the rows in view in the DOM,
// and the keyboard still reaches every step (the 20,000-step timing is the dashboard benchmark's).

test("a 3,001-step run renders only the rows in view, and the keyboard reaches its last step", async ({ page }) => {
  test.setTimeout(120_000);
  const agent = "wide-agent";
  const runId = `wide-${hex(6)}`;
  const traceId = hex(16);
  const rootId = hex(8);
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const at = (us: number): string => String(t0 + BigInt(us) * 1000n);
  const attrs = (key: string, kind: string) => [str("tracewright.run.id", runId), str("tracewright.step.key", key), str("tracewright.step.kind", kind), str("input.value", JSON.stringify({ key }))];
  const spans: unknown[] = [{ traceId, spanId: rootId, name: agent, kind: 1, startTimeUnixNano: at(0), endTimeUnixNano: at(400_000), status: { code: 1 }, attributes: [...attrs(agent, "agent"), str("gen_ai.agent.name", agent)] }];
  for (let n = 0; n < 100; n++) {
    const nodeId = hex(8);
    const nodeKey = `${agent}/node:step#${n}`;
    spans.push({ traceId, spanId: nodeId, parentSpanId: rootId, name: "step", kind: 1, startTimeUnixNano: at(n * 4000), endTimeUnixNano: at(n * 4000 + 3900), status: { code: 1 }, attributes: attrs(nodeKey, "node") });
    for (let t = 0; t < 29; t++) {
      spans.push({ traceId, spanId: hex(8), parentSpanId: nodeId, name: "lookup", kind: 1, startTimeUnixNano: at(n * 4000 + t * 100), endTimeUnixNano: at(n * 4000 + t * 100 + 90), status: { code: 1 }, attributes: attrs(`${nodeKey}/tool:lookup#${t}`, "tool") });
    }
  }
  expect(spans).toHaveLength(3001);
  for (let i = 0; i < spans.length; i += 1000) await post(spans.slice(i, i + 1000), "e2e-wide");

  await page.goto(`/runs/${runId}`);
  // Counted with a thousands separator, as tokens are.
  await expect(page.locator(".run-meta, dl").getByText("3,001", { exact: true }).first()).toBeVisible();
  const rows = page.getByTestId("step-row");
  await expect(rows.first()).toBeVisible();
  expect(await rows.count(), "only the rows in view are in the DOM").toBeLessThan(200);

  await page.locator('[data-testid="step-row"][data-index="0"] [role="treeitem"]').focus();
  await page.keyboard.press("End");
  const last = page.locator('[data-testid="step-row"][data-index="3000"] [role="treeitem"]');
  await expect(last).toBeFocused();
  await expect(page.locator('[data-testid="step-row"][data-index="3000"]')).toHaveAttribute("data-step-key", `${agent}/node:step#99/tool:lookup#28`);
  expect(await rows.count(), "still only a window of rows after jumping to the end").toBeLessThan(200);
  const detail = page.waitForResponse((r) => r.url().includes(`/api/runs/${runId}/spans/`));
  await page.keyboard.press("Enter");
  expect((await detail).status()).toBe(200);
  await expect(page.getByTestId("step-detail")).toHaveAttribute("data-step-key", `${agent}/node:step#99/tool:lookup#28`);
  await page.keyboard.press("PageUp");
  await expect(page.locator('[data-testid="step-row"][data-index="3000"] [role="treeitem"]')).not.toBeFocused();
  await page.screenshot({ path: test.info().outputPath("wide-run.png"), fullPage: false });
});
