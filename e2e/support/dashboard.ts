import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@tracewright/store/testing";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface RunningDashboard {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Another instance of the built dashboard (`next start`, as `npm start` runs it) on a free
 * loopback port, configured by `env` on top of this process's environment, for specs that need
 * the dashboard set up otherwise than the shared one (another source, a token). Resolves once it
 * answers HTTP.
 */
export async function startDashboard(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningDashboard> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: join(ROOT, "apps", "dashboard"),
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // SIGTERM, and SIGKILL if it has not exited within 5 s: next start drains open connections on
  // SIGTERM, and a browser page still on it can keep one open for as long as it likes.
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the dashboard on ${url} exited (${child.exitCode}) before answering`);
    try {
      // Any answer, a refusal included, means the server is up.
      await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
      return { url, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await stop();
  throw new Error(`the dashboard did not answer on ${url} within ${timeoutMs} ms`);
}
