#!/usr/bin/env node
// `npm start`: the main job on a fresh clone (after `npm ci`).
// Builds what is needed, starts the collector on 127.0.0.1:4318 with the embedded store, runs
// every reference-agent scenario (some fail by injected faults), starts the dashboard on
// http://127.0.0.1:3000, prints both addresses, and runs until Ctrl-C.
//
// Environment: TRACEWRIGHT_DB (default .tracewright/traces.db under the repo root),
// TRACEWRIGHT_COLLECTOR_PORT (4318), TRACEWRIGHT_DASHBOARD_PORT (3000), TRACEWRIGHT_DASHBOARD_HOST
// (127.0.0.1; anything else needs TRACEWRIGHT_DASHBOARD_TOKEN),
// TRACEWRIGHT_SKIP_AGENTS=1 to start without running the scenarios.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dashboardDir = join(root, "apps", "dashboard");
const db = resolve(root, process.env.TRACEWRIGHT_DB ?? ".tracewright/traces.db");
/** A port from the environment, or the default; anything but 0–65535 stops here, naming the variable. */
function portFrom(variable, fallback) {
  const text = process.env[variable];
  if (text === undefined || text === "") return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`npm start: ${variable}=${JSON.stringify(text)} is not a port (0–65535).`);
    process.exit(2);
  }
  return port;
}
const collectorPort = portFrom("TRACEWRIGHT_COLLECTOR_PORT", 4318);
const dashboardPort = portFrom("TRACEWRIGHT_DASHBOARD_PORT", 3000);
const dashboardHost = process.env.TRACEWRIGHT_DASHBOARD_HOST ?? "127.0.0.1";
const env = { ...process.env, TRACEWRIGHT_DB: db, NEXT_TELEMETRY_DISABLED: "1" };
const started = Date.now();
const log = (text) => console.log(`[start ${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: "inherit", ...options });
  if (result.status !== 0) {
    console.error(`npm start: \`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

/** The newest modification time under a folder, skipping build output. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === ".next" || entry.endsWith(".tsbuildinfo")) continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

function dashboardIsStale() {
  const buildId = join(dashboardDir, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return [join(dashboardDir, "src"), join(dashboardDir, "next.config.ts"), join(root, "packages", "store", "dist"), join(root, "packages", "instrument", "dist")].some((p) => newest(p) > built);
}

function waitForExit(child) {
  return new Promise((resolveExit) => child.once("exit", (code, signal) => resolveExit(code ?? signal)));
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status < 500) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Whether a port can be listened on at a host now (checked before minutes of building, not after). */
function portFree(port, host) {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once("error", () => resolveFree(false));
    probe.listen(port, host, () => probe.close(() => resolveFree(true)));
  });
}

log("building packages (tsc -b)");
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", "tsconfig.json"]);

// After the build: the loopback check is the packages' own (docs/collector.md#loopback).
const { isLoopbackHost } = await import("@tracewright/instrument/shared");
if (!isLoopbackHost(dashboardHost) && !process.env.TRACEWRIGHT_DASHBOARD_TOKEN) {
  console.error(`npm start: the dashboard would listen on ${dashboardHost}, beyond this machine, without a token. Set TRACEWRIGHT_DASHBOARD_TOKEN (every request must then carry it), or leave TRACEWRIGHT_DASHBOARD_HOST unset for 127.0.0.1.`);
  process.exit(2);
}

for (const [port, host, variable] of [[collectorPort, "127.0.0.1", "TRACEWRIGHT_COLLECTOR_PORT"], [dashboardPort, dashboardHost, "TRACEWRIGHT_DASHBOARD_PORT"]]) {
  if (!(await portFree(port, host))) {
    console.error(`npm start: port ${port} on ${host} is in use. Is another \`npm start\`, collector or dashboard running? Stop it, or set ${variable} to a free port.`);
    process.exit(1);
  }
}

// The dashboard build is the slow part: it runs while the agents run.
let dashboardBuild;
if (dashboardIsStale()) {
  log("building the dashboard (next build) in the background");
  dashboardBuild = spawn(process.execPath, [join(root, "node_modules", "next", "dist", "bin", "next"), "build"], { cwd: dashboardDir, env, stdio: ["ignore", "pipe", "pipe"] });
  // Whatever ends this process early (a failed scenario, a busy port) ends the build too.
  process.on("exit", () => {
    if (dashboardBuild.exitCode === null) dashboardBuild.kill("SIGTERM");
  });
  let output = "";
  dashboardBuild.stdout.on("data", (chunk) => (output += chunk));
  dashboardBuild.stderr.on("data", (chunk) => (output += chunk));
  dashboardBuild.done = waitForExit(dashboardBuild).then((code) => {
    if (code !== 0) {
      console.error(output);
      console.error(`npm start: the dashboard build failed (exit ${code}).`);
      process.exit(1);
    }
  });
}

const { openSqliteStore } = await import("@tracewright/store");
const { startCollector } = await import("@tracewright/collector-lambda");
const store = openSqliteStore({ path: db });
let collector;
try {
  collector = await startCollector({ store, host: "127.0.0.1", port: collectorPort });
} catch (error) {
  console.error(`npm start: ${error.message}\nIs another \`npm start\` or collector running? Stop it, or set TRACEWRIGHT_COLLECTOR_PORT.`);
  process.exit(1);
}
log(`collector listening on ${collector.url} (store ${db})`);

if (process.env.TRACEWRIGHT_SKIP_AGENTS !== "1") {
  const { init } = await import("@tracewright/instrument");
  const { runScenario, scenarios } = await import("@tracewright/reference-agents");
  const tracing = init({ serviceName: "reference-agents", endpoint: collector.tracesUrl });
  const unexpected = [];
  for (const s of scenarios) {
    const result = await runScenario(s.agent, s.scenario);
    // ✓ when the scenario ended as declared — a failure it injects included; ✕ when it did not.
    const asDeclared = result.status === s.expect;
    if (!asDeclared) unexpected.push(`${s.agent}/${s.scenario}`);
    log(`${asDeclared ? "✓" : "✕"} ${s.agent}/${s.scenario}: ${result.status} (expected ${s.expect})  run ${result.runId}`);
  }
  await tracing.flush();
  await tracing.shutdown();
  if (unexpected.length > 0) console.error(`npm start: ${unexpected.length} scenario(s) did not end as declared: ${unexpected.join(", ")}. The runs are recorded; see them in the dashboard.`);
}

if (dashboardBuild !== undefined) {
  log("waiting for the dashboard build");
  await dashboardBuild.done;
}
const dashboard = spawn(process.execPath, [join(root, "node_modules", "next", "dist", "bin", "next"), "start", "-H", dashboardHost, "-p", String(dashboardPort)], {
  cwd: dashboardDir,
  env,
  stdio: ["ignore", "inherit", "inherit"],
});
// Where it listens: a wildcard address is reached on loopback; an IPv6 one in brackets.
const probeHost = dashboardHost === "0.0.0.0" || dashboardHost === "::" ? "127.0.0.1" : dashboardHost.includes(":") ? `[${dashboardHost}]` : dashboardHost;
const dashboardUrl = `http://${probeHost}:${dashboardPort}`;
const dashboardExit = waitForExit(dashboard).then((code) => ({ exited: code }));
const ready = await Promise.race([waitForHttp(dashboardUrl, 60_000).then((up) => ({ up })), dashboardExit]);
if (!("up" in ready) || !ready.up) {
  console.error("exited" in ready ? `npm start: the dashboard exited (${ready.exited}) before it answered on ${dashboardUrl}.` : `npm start: the dashboard did not answer on ${dashboardUrl} within 60 s.`);
  dashboard.kill("SIGTERM");
  await collector.close();
  process.exit(1);
}

console.log(`
  Tracewright is running (${((Date.now() - started) / 1000).toFixed(0)} s to start)
    Dashboard:  ${dashboardUrl}
    Collector:  ${collector.url}   (OTLP/HTTP; point OTEL_EXPORTER_OTLP_ENDPOINT here)
    Store:      ${db}
  Ctrl-C stops both.
`);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  dashboard.kill("SIGTERM");
  await collector.close();
  await store.close();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
dashboard.once("exit", (code) => {
  if (!stopping) {
    console.error(`npm start: the dashboard exited (${code}).`);
    void stop(1);
  }
});
