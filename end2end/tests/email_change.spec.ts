// Changing the account's email: asked from Settings, confirmed from the new address's
// email, and "this wasn't me" from the old one. Each page passes the axe scan.
import { expect, test } from "@playwright/test";
import { emailChangeLink, uniqueEmail } from "./support/mail";
import { hydrated, serious } from "./support/page";
import { signIn } from "./support/session";

const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";

test("the new address confirms the change and the old one undoes it", async ({ page, browser }) => {
  const old = uniqueEmail("change-old");
  const fresh = uniqueEmail("change-new");
  await signIn(page, old, MAIL);
  await page.goto("/settings");
  await hydrated(page);
  expect(await serious(page)).toEqual([]);
  await page.getByLabel("New email address").fill(fresh);
  await page.getByRole("button", { name: "Change email address" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Check your new address" })).toContainText(fresh);

  // The new address's email, opened in another browser: a question first, then the change.
  const link = await emailChangeLink(MAIL, fresh, "/email/confirm");
  const other = await browser.newContext();
  const confirming = await other.newPage();
  await confirming.goto(link);
  await hydrated(confirming);
  await expect(confirming.getByRole("heading", { level: 1 })).toHaveText("Confirm your new email address");
  expect(await serious(confirming)).toEqual([]);
  await confirming.getByRole("button", { name: "Confirm new address" }).click();
  await expect(confirming).toHaveURL(/\/settings\?email_changed=1/);
  await expect(confirming.getByText(`Signed in as ${fresh}`)).toBeVisible();

  // The first browser is signed out.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin/);

  // "This wasn't me" from the old address puts it back and signs the new browser out.
  const undo = await emailChangeLink(MAIL, old, "/email/undo");
  await page.goto(undo);
  await hydrated(page);
  expect(await serious(page)).toEqual([]);
  await page.getByRole("button", { name: "Undo and sign out everywhere" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("The change is undone");
  expect(await serious(page)).toEqual([]);
  await confirming.goto("/dashboard");
  await expect(confirming).toHaveURL(/\/signin/);
  await other.close();
});
