import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signInEmail, uniqueEmail } from "./support/mail";

const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";

/** Serious or critical axe violations on the current page, once hydrated. */
async function serious(page: Page) {
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

for (const path of [
  "/",
  "/signin",
  "/signin?signed_out=1",
  "/signin/check?email=someone%40example.com&r=x",
  "/signin/check?email=someone%40example.com&r=x&error=wrong&left=3",
  "/signin/continue",
  "/no-such-page",
  "/email/confirm?token=x",
  "/email/undo?token=x",
]) {
  test(`no serious accessibility violations on ${path}`, async ({ page }) => {
    await page.goto(path);
    expect(await serious(page)).toEqual([]);
  });
}

test("no serious accessibility violations on a link's pages and the dashboard", async ({ page, browser }) => {
  const email = uniqueEmail("axe");
  await page.goto("/signin");
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  const mail = await signInEmail(MAIL, email);
  // Another browser is asked for the code…
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  await other.goto(mail.link);
  await expect(other.getByLabel("6-digit code")).toBeVisible();
  expect(await serious(other)).toEqual([]);
  // …the one that asked signs in at once…
  await page.goto(mail.link);
  await expect(page).toHaveURL(/\/dashboard$/);
  expect(await serious(page)).toEqual([]);
  // …and the spent link's page offers a new one.
  await other.goto(mail.link);
  await expect(other.getByRole("button", { name: "Send me a new link" })).toBeVisible();
  expect(await serious(other)).toEqual([]);
  await other.getByRole("button", { name: "Send me a new link" }).click();
  await expect(other.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  expect(await serious(other)).toEqual([]);
  await elsewhere.close();
});
