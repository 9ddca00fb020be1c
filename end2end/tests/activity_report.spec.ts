// The generated account-activity report: asked for from the dashboard, built by the job
// worker while its page says so, then shown with its chart. The page passes the axe scan.
import { expect, test } from "@playwright/test";
import { uniqueEmail } from "./support/mail";
import { hydrated, serious } from "./support/page";
import { signIn } from "./support/session";

const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";

test("an activity report is generated in the background and shown with its chart", async ({ page }) => {
  await signIn(page, uniqueEmail("activity"), MAIL);
  await hydrated(page);
  await page.getByRole("button", { name: "Generate account activity report" }).click();
  await expect(page).toHaveURL(/\/reports\/\d+$/);
  // The page refreshes itself until the job is done.
  await expect(page.locator("[data-job]")).toHaveAttribute("data-job", "ready", { timeout: 20_000 });
  await hydrated(page);
  await expect(page.getByRole("img", { name: "Security events per day" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Security events per day (UTC)" })).toBeVisible();
  expect(await serious(page)).toEqual([]);
});
