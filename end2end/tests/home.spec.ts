import { expect, test } from "@playwright/test";

test("the home page hydrates and reacts to clicks", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });

  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in with a link, not a password.");

  // Server-rendered: the first kind is selected before any wasm runs.
  const detail = page.locator("#explorer-detail");
  await expect(detail.getByRole("heading")).toHaveText("Sign-in link");

  // The wasm sets this once the page's islands are live.
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");

  const guest = page.getByRole("button", { name: "Guest link" });
  await guest.click();
  await expect(guest).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "Sign-in link" })).toHaveAttribute("aria-pressed", "false");
  await expect(detail.getByRole("heading")).toHaveText("Guest link");
  await expect(detail).toContainText("Never signs anyone in.");

  // The strict Content-Security-Policy must not have blocked anything.
  expect(errors).toEqual([]);
});
