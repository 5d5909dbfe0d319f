// End-to-end runs against the real stack (web app + relay + database) started once by e2e/global-setup.ts.
// Debian's Chromium only: a browser is never downloaded.
import { defineConfig, devices } from "@playwright/test";

export default defineConfig({
  testDir: "./e2e",
  globalSetup: "./e2e/global-setup.ts",
  // One stack, one worker: scenarios change shared limits and watch live gauges, so they run in order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // `npm test` reads the JSON report from PLAYWRIGHT_JSON_OUTPUT_NAME.
  reporter: [["list"], ["json"]],
  outputDir: "test-results",
  use: {
    // Set by the global setup before workers start; workers re-read this file with that environment.
    baseURL: process.env.E2E_WEB_URL,
    viewport: { width: 1280, height: 800 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    video: "off",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } }],
});
