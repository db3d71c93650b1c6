import { spawn, spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { expect, test } from "../support/test.js";
import { ROOT, startDashboard } from "../support/dashboard.js";
import type { RunningDashboard } from "../support/dashboard.js";

// Safety beyond loopback: with TRACEWRIGHT_DASHBOARD_TOKEN set, the built dashboard serves nothing
// without the token; without one, it serves only requests addressed to this machine; and
// `npm start` refuses to bind elsewhere without a token.

const TOKEN = "e2e-token-7f3a9c";
let guarded: RunningDashboard;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  guarded = await startDashboard({ TRACEWRIGHT_DB: process.env.E2E_DB ?? "", TRACEWRIGHT_DASHBOARD_TOKEN: TOKEN });
});

test.afterAll(async () => {
  await guarded?.stop();
});

/** A GET with a Host header of our choosing (fetch may not set Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("with a token set, nothing is served without it; ?token= once becomes an http-only cookie; a bearer header works", async ({ page, request }) => {
  const bare = await request.get(`${guarded.url}/`, { maxRedirects: 0 });
  expect(bare.status()).toBe(401);
  expect(await bare.text()).toContain("requires a token");
  expect((await request.get(`${guarded.url}/api/runs/x/spans/0000000000000000`)).status()).toBe(401);
  expect((await request.get(`${guarded.url}/?token=wrong`, { maxRedirects: 0 })).status()).toBe(401);
  const bearer = await request.get(`${guarded.url}/api/runs/x/spans/0000000000000000`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(bearer.status()).toBe(404); // through the gate: the step is simply not there
  expect((await bearer.json()) as unknown).toMatchObject({ error: { code: "STEP_NOT_FOUND" } });

  const exchange = await request.get(`${guarded.url}/?status=error&token=${TOKEN}`, { maxRedirects: 0 });
  expect(exchange.status()).toBeGreaterThanOrEqual(300);
  expect(exchange.status()).toBeLessThan(400);
  expect(exchange.headers()["location"]).toMatch(/\/\?status=error$/);
  expect(exchange.headers()["set-cookie"]).toMatch(/tracewright_token=.*HttpOnly/i);

  // In the browser: the token leaves the address, and the pages work with the cookie.
  await page.goto(`${guarded.url}/?token=${TOKEN}`);
  await expect(page).toHaveURL(`${guarded.url}/`);
  await expect(page.getByTestId("run-row").first()).toBeVisible();
  await page.getByTestId("run-link").first().click();
  await expect(page.getByTestId("step-detail")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("token-access.png"), fullPage: false });

  // The cookie gone (expired, cleared), a replay is refused by the gate in plain text: the page
  // says what the server said, not that its answer was not JSON.
  await page.goto(`${guarded.url}/?status=error&agent=supervisor`);
  await page.getByTestId("run-link").first().click();
  await expect(page.getByTestId("replay-reproduce")).toBeEnabled();
  await page.context().clearCookies();
  await page.getByTestId("replay-reproduce").click();
  await expect(page.getByTestId("replay-error")).toContainText("The server answered 401: ");
  await expect(page.getByTestId("replay-error")).toContainText("requires a token");
});

test("without a token, a request addressed to another host is refused with what to set", async ({ baseURL }) => {
  const loopback = await getWithHost(`${baseURL}/`, new URL(baseURL!).host);
  expect(loopback.status).toBe(200);
  const elsewhere = await getWithHost(`${baseURL}/`, "tracewright.evil.example");
  expect(elsewhere.status).toBe(403);
  expect(elsewhere.body).toContain("TRACEWRIGHT_DASHBOARD_TOKEN");
  expect(elsewhere.body).not.toContain("run-row");
});

test("npm start refuses to bind the dashboard beyond loopback without a token", () => {
  // It checks after its `tsc -b` (up to date here, but a few seconds' check on a busy machine).
  test.setTimeout(120_000);
  const result = spawnSync(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    env: { ...process.env, TRACEWRIGHT_DASHBOARD_HOST: "0.0.0.0", TRACEWRIGHT_DASHBOARD_TOKEN: "", TRACEWRIGHT_DB: join(ROOT, "no-such-dir", "x.db") },
    encoding: "utf8",
    timeout: 100_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("without a token. Set TRACEWRIGHT_DASHBOARD_TOKEN");
});

test("npm start refuses a dashboard port already in use before it builds the dashboard or runs a scenario, naming the variable to set", async () => {
  test.setTimeout(120_000);
  // The e2e dashboard itself holds its port: a second `npm start` asked for the same one.
  const busy = new URL(guarded.url).port;
  const result = await new Promise<{ status: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs")], { env: { ...process.env, TRACEWRIGHT_DASHBOARD_PORT: busy, TRACEWRIGHT_COLLECTOR_PORT: "0", TRACEWRIGHT_DB: join(ROOT, "no-such-dir", "x.db") } });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.once("exit", (status) => resolve({ status, stderr, stdout }));
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`port ${busy} on 127.0.0.1 is in use`);
  expect(result.stderr).toContain("set TRACEWRIGHT_DASHBOARD_PORT to a free port");
  expect(result.stdout).not.toContain("building the dashboard");
  expect(result.stdout).not.toContain("collector listening");
});
