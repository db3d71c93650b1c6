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
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/**
 * Playwright's `test`, with a `page` whose `goto` returns once a dashboard page (an HTML answer)
 * has hydrated, not merely loaded.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const goto = page.goto.bind(page);
    page.goto = async (url, options) => {
      const response = await goto(url, options);
      if (response !== null && (response.headers()["content-type"] ?? "").startsWith("text/html")) await hydrated(page);
      return response;
    };
    await use(page);
  },
});

export { expect };
