import { expect, test, type Page } from "@playwright/test";
import { shareCodeEmail, shareCodeLink, shareEmail, uniqueEmail } from "./support/mail";
import { signIn as signInWith } from "./support/session";
import { hydrated, serious } from "./support/page";

const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";
const signIn = (page: Page, email: string) => signInWith(page, email, MAIL);

test("the owner shares a report with a guest, who reads it until it is revoked", async ({ page, browser }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const owner = uniqueEmail("owner");
  const guestEmail = uniqueEmail("guest");
  await signIn(page, owner);
  await page.goto("/reports/new");
  await hydrated(page);
  await page.getByLabel("Title").fill("Board pack");
  await page.getByLabel("Report (Markdown)").fill("Revenue is **up**.");
  await page.getByRole("button", { name: "Save report" }).click();
  await expect(page).toHaveURL(/\/reports\/\d+$/);
  await hydrated(page);

  await page.getByLabel("Guest's email").fill(guestEmail);
  await page.getByLabel("Expires").first().selectOption("7");
  await page.getByLabel("Message (optional)").fill("Hi, <b>here</b> it is.");
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Shared:" })).toHaveText(
    "Shared: we've emailed the guest a link.",
  );
  const shares = page.getByRole("table", { name: "Shares of this report" });
  await expect(shares.getByRole("row").nth(1).getByRole("cell").first()).toContainText(guestEmail);
  await hydrated(page);
  expect(await serious(page)).toEqual([]);
  const link = await shareEmail(MAIL, guestEmail);

  // The guest: a fresh browser, signed in nowhere.
  const guest = await browser.newContext();
  const guestPage = await guest.newPage();
  await guestPage.goto(link);
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("Board pack");
  await expect(guestPage.getByText(`Shared with you by ${owner}`)).toBeVisible();
  await expect(guestPage.locator(".share-message blockquote")).toHaveText("Hi, <b>here</b> it is.");
  await hydrated(guestPage);
  expect(await serious(guestPage)).toEqual([]);
  await guestPage.goto("/dashboard");
  await expect(guestPage).toHaveURL(/\/signin\?next=\/dashboard$/);

  // Without JavaScript the link works the same.
  const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await plain.goto(link);
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("Board pack");

  // The owner sees two people's opens, then revokes.
  await expect
    .poll(
      async () => {
        await page.reload();
        return shares.getByRole("row").nth(1).getByRole("cell").nth(5).textContent();
      },
      { timeout: 10_000 },
    )
    .toBe("2");
  await hydrated(page);
  await shares.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status").filter({ hasText: "revoked" })).toHaveText(
    "The share is revoked: its link no longer opens this report.",
  );
  await expect(shares.getByRole("row").nth(1).getByRole("cell").nth(1)).toHaveText("Revoked");

  await guestPage.goto(link);
  const reloaded = await guestPage.reload();
  expect(reloaded?.status()).toBe(410);
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("This share was revoked");
  await hydrated(guestPage);
  expect(await serious(guestPage)).toEqual([]);
  await guest.close();
  await plain.context().close();
  expect(errors).toEqual([]);
});

test("only the named guest: a browser confirms once with the emailed code", async ({ page, browser }) => {
  const owner = uniqueEmail("owner");
  const guestEmail = uniqueEmail("named");
  await signIn(page, owner);
  await page.goto("/reports/new");
  await hydrated(page);
  await page.getByLabel("Title").fill("Salaries");
  await page.getByLabel("Report (Markdown)").fill("Confidential figures.");
  await page.getByRole("button", { name: "Save report" }).click();
  await expect(page).toHaveURL(/\/reports\/\d+$/);
  await hydrated(page);
  await page.getByLabel("Guest's email").fill(guestEmail);
  await page.getByLabel(/Only this person/).check();
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Shared:" })).toBeVisible();
  const link = await shareEmail(MAIL, guestEmail);

  const guest = await browser.newContext();
  const guestPage = await guest.newPage();
  await guestPage.goto(link);
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");
  await expect(guestPage.getByText("Confidential figures.")).toHaveCount(0);
  await hydrated(guestPage);
  expect(await serious(guestPage)).toEqual([]);
  await guestPage.getByRole("button", { name: "Email me a code" }).click();
  await expect(guestPage.getByRole("status")).toHaveText(/We've emailed you a code/);
  const codeText = await shareCodeEmail(MAIL, guestEmail);
  await guestPage.getByLabel("Code from the email").fill(codeText);
  await guestPage.getByRole("button", { name: "Open the report" }).click();
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("Salaries");
  await guestPage.reload();
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("Salaries");

  // The same link, forwarded to another browser, opens nothing.
  const other = await (await browser.newContext()).newPage();
  await other.goto(link);
  await expect(other.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");

  // The code email's link opens the report in whichever browser the guest opens it with,
  // JavaScript or not, after one button (so a mail scanner opening it does nothing).
  const confirmLink = await shareCodeLink(MAIL, guestEmail);
  const laptop = await (await browser.newContext()).newPage();
  await laptop.goto(confirmLink);
  await expect(laptop.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");
  await hydrated(laptop);
  expect(await serious(laptop)).toEqual([]);
  await laptop.getByRole("button", { name: "Open the report in this browser" }).click();
  await expect(laptop.getByRole("heading", { level: 1 })).toHaveText("Salaries");
  const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await plain.goto(confirmLink);
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");
  await plain.getByRole("button", { name: "Open the report in this browser" }).click();
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("Salaries");
  await plain.goto(link);
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("Salaries");
  // The browser the link was forwarded to has still confirmed nothing.
  await other.reload();
  await expect(other.getByRole("heading", { level: 1 })).toHaveText("Confirm it's you");
  await guest.close();
  await other.context().close();
  await laptop.context().close();
  await plain.context().close();
});

test("the Access page lists this browser and passes the axe scan", async ({ page }) => {
  await signIn(page, uniqueEmail("access"));
  await page.getByRole("link", { name: "Access" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Access");
  await expect(page.getByText("This device")).toBeVisible();
  await hydrated(page);
  expect(await serious(page)).toEqual([]);
});
