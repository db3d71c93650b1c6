import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

/**
 * The whole system, started as `npm start` starts it (scripts/start.mjs), on its own ports and a
 * fresh store, so a developer's running `npm start` is left alone.
 */
const collectorPort = Number(process.env.E2E_COLLECTOR_PORT ?? 14318);
const dashboardPort = Number(process.env.E2E_DASHBOARD_PORT ?? 13000);
// The config is loaded by the runner and by each worker: only the runner's value is used (webServer).
const db = process.env.E2E_DB ?? join(mkdtempSync(join(tmpdir(), "tracewright-e2e-")), "traces.db");
process.env.E2E_DB = db;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  reporter: [["list"], ["json", { outputFile: "../reports/e2e.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${dashboardPort}`,
    screenshot: "on",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: "node ../scripts/start.mjs",
    url: `http://127.0.0.1:${dashboardPort}`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      TRACEWRIGHT_DB: db,
      TRACEWRIGHT_COLLECTOR_PORT: String(collectorPort),
      TRACEWRIGHT_DASHBOARD_PORT: String(dashboardPort),
      NEXT_TELEMETRY_DISABLED: "1",
    },
  },
});
