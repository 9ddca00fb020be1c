import { expect, test } from "@playwright/test";
import { signInEmail, uniqueEmail } from "./support/mail";

// A second server whose sign-in links live 3 seconds (see playwright.config.ts).
const SHORT = "http://127.0.0.1:3002";
const SHORT_MAIL = process.env.E2E_SHORT_MAIL_DIR ?? "../target/e2e/short/mail";

test("an expired link lands on the friendly page", async ({ page }) => {
  const email = uniqueEmail("expired");
  await page.goto(`${SHORT}/signin`);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  const mail = await signInEmail(SHORT_MAIL, email);
  expect(mail.text).toMatch(/for the next [1-3] seconds?\./);
  await page.waitForTimeout(3_500);
  await page.goto(mail.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This link no longer works");
  await expect(page.getByLabel("Email address")).toBeVisible();
});
