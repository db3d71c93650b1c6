/**
 * What the reliability suites share: the real collector (`tracewright collector`, the built CLI)
 * as a child process on loopback with a SQLite file store, its peak memory, child processes that
 * report one JSON line, and a check of what the store holds. Not part of the build.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const CLI = `${ROOT}packages/cli/bin/tracewright.js`;

/** A file next to this one (the child-process scripts). */
export const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/** Fails early, with what to do, when the packages the child processes run are not built. */
export function requireBuild(): void {
  for (const dist of ["cli", "collector-lambda", "instrument", "store"]) {
    if (!existsSync(`${ROOT}packages/${dist}/dist/index.js`)) throw new Error(`packages/${dist}/dist is missing: run \`npm run build\` first (npm run test:reliability does).`);
  }
}

/** A port free right now on 127.0.0.1, so that a restarted collector can bind the same one. */
export { freePort } from "@tracewright/store/testing";

export interface CollectorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly tracesUrl: string;
  /** Everything it wrote on stderr so far (its failure log), line by line. */
  readonly log: string[];
  /** Peak resident memory so far (VmHWM), in bytes. */
  peakRss(): number;
  /** SIGKILL: no flush, no close, the way a crash or an OOM kill ends it. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful stop (flushes and closes every sink). */
  stop(): Promise<void>;
}

/** Starts `tracewright collector --port PORT --db DB` and resolves once it listens. */
export async function startCollectorProcess(options: { db: string; port: number; env?: NodeJS.ProcessEnv }): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [CLI, "collector", "--port", String(options.port), "--db", options.db], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  let partial = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    log.push(...lines);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+) /.exec(out);
      if (match !== null) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`the collector exited with ${code} before listening: ${log.join("\n")}${partial}`)));
  });
  const pid = child.pid as number;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, pid, url, tracesUrl: `${url}/v1/traces`, log, peakRss: () => peakRss(pid), kill: () => end("SIGKILL"), stop: () => end("SIGTERM") };
}

/** A process's peak resident set size (VmHWM in /proc/PID/status), in bytes; 0 once it is gone. */
export function peakRss(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Runs `node SCRIPT ARGS…` to its end; resolves with the JSON object on its last stdout line. */
export function runJsonChild<T>(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; result: Promise<T> } {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const result = new Promise<T>((resolve, reject) => {
    child.once("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) return reject(new Error(`${script} exited with ${code}:\n${err}${out}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result:\n${err}${out}`));
      }
    });
  });
  return { child, result };
}

/** Resolves once the child prints a line matching `pattern` on stdout. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer | string): void => {
      out += String(chunk);
      const line = out.split("\n").find((l) => pattern.test(l));
      if (line === undefined) return;
      child.stdout?.off("data", onData);
      resolve(line);
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the child exited with ${code} before printing ${pattern}`)));
  });
}

/** How many times each (traceId/spanId) is stored in the spans table. */
export function storedSpanIds(db: string): Map<string, number> {
  const sqlite = new Database(db, { readonly: true });
  try {
    const counts = new Map<string, number>();
    for (const row of sqlite.prepare("SELECT trace_id AS t, span_id AS s FROM spans").iterate() as Iterable<{ t: string; s: string }>) {
      const key = `${row.t}/${row.s}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  } finally {
    sqlite.close();
  }
}

/** What is wrong between the ids sent and the ids stored: the missing, the duplicated, the unexpected. */
export function compareIds(sent: Iterable<string>, stored: Map<string, number>): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const expected = new Set(sent);
  const missing = [...expected].filter((id) => !stored.has(id));
  const duplicated = [...stored].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...stored.keys()].filter((id) => !expected.has(id));
  return { missing, duplicated, unexpected };
}
