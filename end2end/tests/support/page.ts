// What the browser tests check on every page: hydration done, and axe's verdict.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/** Waits until the wasm is loaded and the page's islands are live. */
export async function hydrated(page: Page) {
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
}

/** Serious or critical axe violations on the current page (axe runs as a script). */
export async function serious(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}
