import { expect, test } from "@playwright/test";
import { signInEmail, uniqueEmail } from "./support/mail";
import { hydrated, serious } from "./support/page";

const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";

test("a personal link signs in a fresh browser at once, and stops after revoke", async ({ page, browser }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const email = uniqueEmail("personal");
  await page.goto("/signin?next=/settings");
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  const mail = await signInEmail(MAIL, email);
  await page.goto(mail.link);
  await expect(page).toHaveURL(/\/settings$/);
  await hydrated(page);
  expect(await serious(page)).toEqual([]);

  await page.getByLabel("Name").fill("Kitchen tablet");
  await page.getByRole("button", { name: "Create personal link" }).click();
  await expect(page.getByRole("status")).toContainText("Your personal link is ready");
  const url = await page.getByLabel("Link for Kitchen tablet").inputValue();
  expect(url).toMatch(/\/personal\?token=[A-Za-z0-9_-]+$/);
  await hydrated(page);
  expect(await serious(page)).toEqual([]);

  // Opened like a bookmark in a browser that has never signed in.
  const tablet = await browser.newContext();
  const tabletPage = await tablet.newPage();
  await tabletPage.goto(url);
  await expect(tabletPage).toHaveURL(/\/dashboard$/);
  await expect(tabletPage.getByTestId("signed-in-email")).toHaveText(email);

  await page.getByRole("button", { name: "Revoke Kitchen tablet" }).click();
  await expect(page.getByRole("status")).toContainText("The link is revoked");

  await tabletPage.reload();
  await expect(tabletPage).toHaveURL(/\/signin\?next=\/dashboard$/);
  await tabletPage.goto(url);
  await expect(tabletPage.getByRole("heading", { level: 1 })).toHaveText("This link no longer works");
  await hydrated(tabletPage);
  expect(await serious(tabletPage)).toEqual([]);
  await tablet.close();
  expect(errors).toEqual([]);
});
