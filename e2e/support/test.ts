import { expect, test as base } from "@playwright/test";
import type { Page } from "@playwright/test";

/**
 * Waits until the dashboard page now in `page` has hydrated (`html[data-hydrated]`, set by the
 * layout's HydrationMark): a click or a key sent before that can be lost, or its effect
 * overwritten as React takes the page over. For a page a click navigated to (a form submitted
 * by GET is a whole new document); `page.goto` waits by itself (see {@link test}).
 */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForLoadState();
  try {
    await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 20_000 });
  } catch (error) {
    throw new Error(`${page.url()} did not hydrate in 20 s (no html[data-hydrated]): a client error, or a page outside the dashboard's layout`, { cause: error });
  }
}

/**
 * Playwright's `test`, with a `page` whose `goto` returns once a dashboard page (an HTML answer)
 * has hydrated, not merely loaded — unless the caller asked for less (`waitUntil: "commit"` or
 * `"domcontentloaded"`).
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const goto = page.goto.bind(page);
    page.goto = async (url, options) => {
      const response = await goto(url, options);
      const less = options?.waitUntil === "commit" || options?.waitUntil === "domcontentloaded";
      if (!less && response !== null && (response.headers()["content-type"] ?? "").startsWith("text/html")) await hydrated(page);
      return response;
    };
    await use(page);
  },
});

export { expect };
