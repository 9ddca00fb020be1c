import { expect, test, type Page } from "@playwright/test";
import { reportLinkEmail, uniqueEmail } from "./support/mail";
import { signIn as signInWith } from "./support/session";
import { hydrated, serious } from "./support/page";

const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";
const signIn = (page: Page, email: string) => signInWith(page, email, MAIL);

/** How many drafts `page` has sent to be saved so far. */
function countSaves(page: Page): () => number {
  let saves = 0;
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/reports/save")) saves += 1;
  });
  return () => saves;
}

test("a report link opens one report in another browser, read-only, until revoked", async ({ page, browser }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const email = uniqueEmail("report");
  await signIn(page, email);

  await hydrated(page);
  await page.getByRole("link", { name: "New report" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New report");
  await hydrated(page);
  expect(await serious(page)).toEqual([]);
  // A title of spaces is refused by the field itself (its pattern): the browser does not
  // send it.
  const saves = countSaves(page);
  const markdown = "## Up\n\nSales rose by **42%**.\n\n<script>window.owned = 1</script>";
  await page.getByLabel("Title").fill("   ");
  await page.getByLabel("Report (Markdown)").fill(markdown);
  await page.getByRole("button", { name: "Save report" }).click();
  await expect(page.locator("#report-title:invalid")).toHaveCount(1);
  // Sent anyway (the browser's checks off), the server refuses it and the island says
  // why on the page, with the draft still in the form.
  await page.locator("form", { has: page.getByLabel("Title") }).evaluate((form) => {
    (form as HTMLFormElement).noValidate = true;
  });
  await page.getByRole("button", { name: "Save report" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Give the report a title." })).toBeVisible();
  await expect(page).toHaveURL(/\/reports\/new$/);
  await expect(page.getByLabel("Report (Markdown)")).toHaveValue(markdown);
  await page.getByLabel("Title").fill("Quarterly numbers");
  await page.getByRole("button", { name: "Save report" }).click();
  await expect(page).toHaveURL(/\/reports\/\d+$/);
  expect(saves()).toBe(2);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Quarterly numbers");
  await expect(page.locator(".report-body strong")).toHaveText("42%");
  expect(await page.evaluate(() => (window as any).owned)).toBeUndefined();
  const id = page.url().match(/\/reports\/(\d+)$/)![1];
  await hydrated(page);
  expect(await serious(page)).toEqual([]);

  await page.getByRole("button", { name: "Email me a link to this report" }).click();
  await expect(page.getByRole("status")).toHaveText("We've emailed you a link to this report.");
  const link = await reportLinkEmail(MAIL, email, id);

  // Someone the email was forwarded to: a fresh browser, signed in nowhere.
  const guest = await browser.newContext();
  const guestPage = await guest.newPage();
  await guestPage.goto(link);
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("Quarterly numbers");
  await expect(guestPage.getByText("You are not signed in")).toBeVisible();
  await hydrated(guestPage);
  expect(await serious(guestPage)).toEqual([]);
  await guestPage.goto("/dashboard");
  await expect(guestPage).toHaveURL(/\/signin\?next=\/dashboard$/);

  // The owner sees the open and revokes the link.
  await page.reload();
  await expect(page.getByRole("row").nth(1).getByRole("cell").nth(3)).toHaveText("1", { timeout: 5_000 });
  await hydrated(page);
  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status")).toHaveText("The link is revoked: it no longer opens this report.");
  await expect(page.getByText("No live links.")).toBeVisible();

  await guestPage.goto(link);
  await expect(guestPage.getByRole("heading", { level: 1 })).toHaveText("This link does not work");
  await hydrated(guestPage);
  expect(await serious(guestPage)).toEqual([]);
  await guest.close();
  expect(errors).toEqual([]);
});

test("reports work without JavaScript", async ({ browser }) => {
  const email = uniqueEmail("nojs");
  const withJs = await browser.newContext();
  const page = await withJs.newPage();
  await signIn(page, email);
  const cookies = await withJs.cookies();
  await withJs.close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.addCookies(cookies);
  const plain = await context.newPage();
  await plain.goto("/reports/new");
  // Without JavaScript too, a title of spaces is stopped by the browser, not answered
  // with a bare server reply.
  const saves = countSaves(plain);
  await plain.getByLabel("Title").fill("   ");
  await plain.getByRole("button", { name: "Save report" }).click();
  await expect(plain.locator("#report-title:invalid")).toHaveCount(1);
  await plain.getByLabel("Title").fill("Plain");
  await plain.getByLabel("Report (Markdown)").fill("*works*");
  await plain.getByRole("button", { name: "Save report" }).click();
  await expect(plain).toHaveURL(/\/reports\/\d+$/);
  expect(saves()).toBe(1);
  await expect(plain.locator(".report-body em")).toHaveText("works");
  const id = plain.url().match(/\/reports\/(\d+)$/)![1];
  // (axe runs as a script, so these pages are scanned in the test with JavaScript on.)

  await plain.getByRole("button", { name: "Email me a link to this report" }).click();
  await expect(plain.getByRole("status")).toHaveText("We've emailed you a link to this report.");
  const link = await reportLinkEmail(MAIL, email, id);
  const reader = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await reader.goto(link);
  await expect(reader.getByRole("heading", { level: 1 })).toHaveText("Plain");

  await plain.goto(`/reports/${id}/edit`);
  await plain.getByRole("button", { name: "Delete report" }).click();
  await expect(plain).toHaveURL(/\/dashboard\?deleted=1$/);
  await reader.reload();
  await expect(reader.getByRole("heading", { level: 1 })).toHaveText("This link does not work");
  await context.close();
});
