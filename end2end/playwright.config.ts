import { defineConfig, devices } from "@playwright/test";

// `cargo leptos end-to-end` starts the main server (port 3000) before running these tests.
// A second instance of the same binary, whose sign-in links live 3 seconds, serves the
// expiry test on port 3002, with its own database and mail folder.
const short = process.env.E2E_SHORT_DIR ?? "../target/e2e/short";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"], ["./reporters/failures.ts"]],
  use: {
    baseURL: process.env.LATCHKEY_BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
  },
  webServer: {
    command: process.env.E2E_SERVER_BIN ?? "../target/debug/latchkey",
    url: "http://127.0.0.1:3002/healthz",
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      LATCHKEY_DATABASE_URL: `sqlite://${short}/latchkey.db`,
      LATCHKEY_SECRET_FILE: `${short}/secret.key`,
      LATCHKEY_MAIL_DIR: `${short}/mail`,
      LATCHKEY_BIND: "127.0.0.1:3002",
      LATCHKEY_BASE_URL: "http://127.0.0.1:3002",
      LATCHKEY_LOGIN_MAX_AGE: "3s",
      LATCHKEY_LOG: "warn",
      LEPTOS_OUTPUT_NAME: "latchkey",
      LEPTOS_SITE_ROOT: process.env.E2E_SITE_ROOT ?? "../target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_SITE_ADDR: "127.0.0.1:3002",
    },
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        // Debian's Chromium: Playwright's own browser download is not available here.
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
});
