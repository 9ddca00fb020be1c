// Signing a browser in the way a person does: the form, the email, its link opened there.
import { expect, type Page } from "@playwright/test";
import { signInEmail } from "./mail";
import { hydrated } from "./page";

/** Signs `page` in as `email` through the emails in `mailDir`; ends on the dashboard. */
export async function signIn(page: Page, email: string, mailDir: string) {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  const mail = await signInEmail(mailDir, email);
  // The browser that asked signs in by opening the link: no click.
  await page.goto(mail.link);
  await expect(page).toHaveURL(/\/dashboard$/);
}
