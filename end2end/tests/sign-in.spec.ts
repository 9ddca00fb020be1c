import { expect, test, type Page } from "@playwright/test";
import { signInEmail, uniqueEmail } from "./support/mail";

// Where the e2e server (started by `cargo leptos end-to-end`) writes its mail.
const MAIL = process.env.E2E_MAIL_DIR ?? "../target/e2e/mail";

function masked(email: string): string {
  return `${email[0]}•••@${email.split("@")[1]}`;
}

async function hydrated(page: Page) {
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
}

async function askForEmail(page: Page, email: string) {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  await expect(page.getByText(email)).toBeVisible();
}

test("the link opened in the browser that asked signs in with no click, then sign out", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const email = uniqueEmail("link");
  await page.goto("/signin");
  await hydrated(page);
  // Slow the request down so the pending state can be seen.
  await page.route("**/api/sign-in", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 700));
    await route.continue();
  });
  const posted = page.waitForRequest(
    (request) => request.url().endsWith("/api/sign-in") && request.method() === "POST",
    { timeout: 10_000 },
  );
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("button", { name: "Sending…" })).toBeDisabled();
  // Submitted in the background by the form's island, not as a page load.
  expect((await posted).resourceType()).toBe("fetch");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");

  const mail = await signInEmail(MAIL, email);
  await page.goto(mail.link);
  // Signed in at once, and the token left the address bar.
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("signed-in-email")).toHaveText(email);

  // A plain form post, as every form outside an island is; its button's island says that
  // it is being sent. Locators wait for the next page once the post is under way, so the
  // page itself reports the button's change, before the (slowed) answer replaces it.
  await hydrated(page);
  await page.route("**/api/sign-out", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 700));
    await route.continue();
  });
  const signOut = page.waitForRequest((request) => request.url().endsWith("/api/sign-out"), {
    timeout: 10_000,
  });
  const busy = page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const button = document.querySelector<HTMLButtonElement>('form[action="/api/sign-out"] button')!;
        new MutationObserver(() => {
          if (button.disabled) resolve(button.textContent ?? "");
        }).observe(button, { attributes: true, childList: true, characterData: true, subtree: true });
      }),
  );
  const clicked = page.getByRole("button", { name: "Sign out" }).click();
  expect(await busy).toBe("Signing out…");
  expect((await signOut).resourceType()).toBe("document");
  await clicked;
  await expect(page).toHaveURL(/\/signin\?signed_out=1$/);
  await expect(page.getByRole("status")).toHaveText("You've signed out.");
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin\?next=\/dashboard$/);
  expect(errors).toEqual([]);
});

test("sign in by code in the browser that asked, while the email is read elsewhere", async ({ browser }) => {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const page = await laptop.newPage();
  const email = uniqueEmail("code");
  await askForEmail(page, email);
  const mail = await signInEmail(MAIL, email);

  const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, "0");
  await hydrated(page);
  await page.getByLabel("6-digit code").fill(wrong);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("That code is not right. You have 4 more tries.");
  await expect(page.getByLabel("6-digit code")).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("6-digit code").fill(`${mail.code.slice(0, 3)} ${mail.code.slice(3)}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("signed-in-email")).toHaveText(email);

  // The phone, where the email was read, is not signed in; the request is spent, so the
  // link no longer works there either.
  const phonePage = await phone.newPage();
  await phonePage.goto("/dashboard");
  await expect(phonePage).toHaveURL(/\/signin\?next=\/dashboard$/);
  await phonePage.goto(mail.link);
  await expect(phonePage.getByRole("heading", { level: 1 })).toHaveText("This link no longer works");
  await laptop.close();
  await phone.close();
});

test("opened in a second browser, the link asks for the code and signs in with it", async ({ browser }) => {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const page = await laptop.newPage();
  const email = uniqueEmail("elsewhere");
  await askForEmail(page, email);
  const mail = await signInEmail(MAIL, email);

  const phonePage = await phone.newPage();
  await phonePage.goto(mail.link);
  await expect(phonePage).toHaveURL(/\/signin\/continue$/);
  await expect(phonePage.getByRole("heading", { level: 1 })).toHaveText(`Continue as ${masked(email)}`);
  await expect(phonePage.getByRole("button", { name: "Continue" })).toHaveCount(0);
  await hydrated(phonePage);
  const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, "0");
  await phonePage.getByLabel("6-digit code").fill(wrong);
  await phonePage.getByRole("button", { name: "Sign in" }).click();
  await expect(phonePage.getByRole("alert")).toHaveText("That code is not right. You have 4 more tries.");
  await phonePage.getByLabel("6-digit code").fill(mail.code);
  await phonePage.getByRole("button", { name: "Sign in" }).click();
  await expect(phonePage).toHaveURL(/\/dashboard$/);
  await expect(phonePage.getByTestId("signed-in-email")).toHaveText(email);
  // The laptop was not signed in by any of it.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin\?next=\/dashboard$/);
  await laptop.close();
  await phone.close();
});

test("a spent link's page sends a new link in one click", async ({ browser }) => {
  const first = await browser.newContext();
  const page = await first.newPage();
  const email = uniqueEmail("reuse");
  await askForEmail(page, email);
  const mail = await signInEmail(MAIL, email);
  await page.goto(mail.link);
  await expect(page).toHaveURL(/\/dashboard$/);

  const second = await browser.newContext();
  const again = await second.newPage();
  await again.goto(mail.link);
  await expect(again.getByRole("heading", { level: 1 })).toHaveText("This link no longer works");
  await expect(again.getByText("already used")).toHaveCount(0);
  await hydrated(again);
  await again.getByRole("button", { name: "Send me a new link" }).click();
  await expect(again.getByRole("heading", { level: 1 })).toHaveText("Check your email");
  await expect(again.getByText(email)).toHaveCount(0);
  // A new email arrives; its link asks for its code, even where the first was asked for.
  const fresh = await signInEmail(MAIL, email, [mail.link]);
  await page.goto("/dashboard");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin\?signed_out=1$/);
  await page.goto(fresh.link);
  await expect(page.getByLabel("6-digit code")).toBeVisible();
  await page.getByLabel("6-digit code").fill(fresh.code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("signed-in-email")).toHaveText(email);
  await first.close();
  await second.close();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign in by link", async ({ page }) => {
    const email = uniqueEmail("nojs-link");
    await page.goto("/signin?next=/dashboard");
    await page.getByLabel("Email address").fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
    const mail = await signInEmail(MAIL, email);
    await page.goto(mail.link);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId("signed-in-email")).toHaveText(email);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("status")).toHaveText("You've signed out.");
  });

  test("sign in by code", async ({ page }) => {
    const email = uniqueEmail("nojs-code");
    await page.goto("/signin");
    await page.getByLabel("Email address").fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    const mail = await signInEmail(MAIL, email);
    await page.getByLabel("6-digit code").fill("12");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Enter the 6 digits from the email.");
    await page.getByLabel("6-digit code").fill(mail.code);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId("signed-in-email")).toHaveText(email);
  });
});
