import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { openSqliteStore, resolveDbPath, TracewrightError } from "@tracewright/store";
import type { SqliteStore } from "@tracewright/store";
import { agentsRun, agentsScenarios } from "./commands/agents.js";
import { collector } from "./commands/collector.js";
import { replayCommand } from "./commands/replay.js";
import { runsList, runsShow } from "./commands/runs.js";

const USAGE = `tracewright — record, browse and replay AI agent runs

Usage:
  tracewright collector [--port 4318] [--host 127.0.0.1] [--db PATH] [--sink store|xray|cloudwatch|langsmith …] [--token TOKEN]
  tracewright runs list [--json] [--status ok|error|failed|running] [--agent NAME] [--limit N] [--cursor C] [--db PATH]
  tracewright runs show RUN_ID [--json] [--db PATH]
  tracewright agents run supervisor|choreography [--scenario NAME] [--fault NAME] [--json]
  tracewright agents scenarios [--json]
  tracewright replay RUN_ID [--mode reproduce|verify-fix|fork] [--from STEP_KEY] [--patch FILE] [--step AGENT_STEP_KEY]
                     [--fix NAME …] [--stop] [--allow-side-effects] [--exit-code] [--json] [--db PATH]

The store is .tracewright/traces.db under the current directory unless --db or TRACEWRIGHT_DB
says otherwise. Agents export to OTEL_EXPORTER_OTLP_ENDPOINT (default http://127.0.0.1:4318).`;

/** A command's output streams, so tests can run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Wrong words on the command line: exit code 2 and the usage. */
export class UsageError extends TracewrightError {
  constructor(message: string) {
    super("CLI_USAGE", message);
  }
}

const OPTIONS = {
  json: { type: "boolean" },
  db: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  sink: { type: "string", multiple: true },
  token: { type: "string" },
  status: { type: "string" },
  agent: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  scenario: { type: "string" },
  fault: { type: "string" },
  mode: { type: "string" },
  from: { type: "string" },
  step: { type: "string" },
  patch: { type: "string" },
  fix: { type: "string", multiple: true },
  stop: { type: "boolean" },
  "allow-side-effects": { type: "boolean" },
  "exit-code": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export type Flags = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

/**
 * Control characters but newline and tab (an ESC starting a terminal escape sequence, a carriage
 * return, C1 codes) and the bidirectional overrides that reorder what a terminal shows.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Output with {@link UNPRINTABLE} characters written as `\uXXXX`. Recorded names, keys, models and
 * error messages are the agent's untrusted text: printed raw, one could drive the reader's
 * terminal. The escape is JSON's own, so `--json` output stays valid and parses the same.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[], rawIo: Io = processIo): Promise<number> {
  const io: Io = { out: (text) => rawIo.out(terminalSafe(text)), err: (text) => rawIo.err(terminalSafe(text)) };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`tracewright: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  const [group, command, ...rest] = positionals;
  if (flags.help || group === undefined || group === "help") {
    io.out(USAGE);
    return 0;
  }
  try {
    switch (`${group} ${command ?? ""}`.trim()) {
      case "collector":
        return await collector(flags, io);
      case "runs list":
        return await runsList(flags, io);
      case "runs show":
        return await runsShow(required(rest[0], "RUN_ID"), flags, io);
      case "agents run":
        return await agentsRun(required(rest[0], "the agent (supervisor or choreography)"), flags, io);
      case "agents scenarios":
        return await agentsScenarios(flags, io);
      default:
        if (group === "replay") return await replayCommand(required(command, "RUN_ID"), flags, io);
        throw new UsageError(`unknown command "${positionals.join(" ")}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`tracewright: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    // Asked for JSON, a script reads the failure as JSON too: its code and message.
    if (flags.json) io.err(JSON.stringify({ error: { code: (error as { code?: unknown }).code ?? "ERROR", message } }));
    else io.err(`tracewright: ${message}`);
    return 1;
  }
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}

/** The store the read commands use (`--db`, else `TRACEWRIGHT_DB`, else `.tracewright/traces.db`), if it exists. */
export function storePath(flags: Flags): string | undefined {
  const path = resolveDbPath(flags.db);
  return path === ":memory:" || existsSync(path) ? path : undefined;
}

/** The store's path as the user gave it, and where it resolves. */
export function storeDescription(flags: Flags): string {
  const path = resolveDbPath(flags.db);
  return `${path === ":memory:" ? path : resolve(path)}${flags.db === undefined ? (process.env.TRACEWRIGHT_DB === undefined ? " (the default; --db or TRACEWRIGHT_DB name another)" : " (TRACEWRIGHT_DB)") : ""}`;
}

/**
 * The store a reading command (runs, replay) opens: one that exists. Opening creates a missing
 * one, directories and all — a mistyped `--db` or another working directory would read an empty
 * store made for the purpose, and leave it behind.
 */
export function openExistingStore(flags: Flags): SqliteStore {
  const path = storePath(flags);
  if (path === undefined) throw new TracewrightError("CLI_NO_STORE", `there is no trace store at ${storeDescription(flags)}: nothing was recorded there. Point --db (or TRACEWRIGHT_DB) at the collector's store: it writes .tracewright/traces.db under the directory it was started in, unless told otherwise.`);
  return openSqliteStore({ path });
}

/** Parses a whole-number flag, naming it when it is not one. */
export function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number, got "${value}"`);
  return n;
}
