import { loadRunDetail, stateAttribute, tokenCount, TracewrightError } from "@tracewright/store";
import type { Attributes, RunStatus, RunSummary, Step, TraceStore } from "@tracewright/store";
import { GenAI } from "@tracewright/instrument/conventions";
import type { Flags, Io } from "../main.js";
import { UsageError, intFlag, openExistingStore, storeDescription, storePath } from "../main.js";

const STATUSES: readonly RunStatus[] = ["ok", "error", "running"];
const MARK: Record<string, string> = { ok: "✓", error: "✕", running: "…" };

async function withStore<T>(flags: Flags, fn: (store: TraceStore) => Promise<T>): Promise<T> {
  const store = openExistingStore(flags);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `--status` as the contract spells it: `failed` is a run that ended in error. */
const STATUS_ALIASES: Record<string, RunStatus> = { failed: "error" };

/** `tracewright runs list`: newest first, a page at a time (`--limit`, `--cursor`). */
export async function runsList(flags: Flags, io: Io): Promise<number> {
  const status = flags.status === undefined ? undefined : (STATUS_ALIASES[flags.status] ?? flags.status);
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status takes ${STATUSES.join(", ")} (or failed, for error); got "${flags.status}"`);
  }
  const limit = intFlag(flags.limit, "limit", 50);
  // No store there yet: no runs, and the path said (a mistyped --db or another directory), never a new empty store made.
  if (storePath(flags) === undefined) {
    if (flags.json) io.out("[]");
    else io.out(`No runs recorded yet: there is no trace store at ${storeDescription(flags)}. Start the collector there (npx tracewright collector) and run an agent (npx tracewright agents run supervisor), or point --db (or TRACEWRIGHT_DB) at the collector's store.`);
    return 0;
  }
  const page = await withStore(flags, (store) =>
    store.listRuns({
      limit,
      ...(status === undefined ? {} : { status: status as RunStatus }),
      ...(flags.agent === undefined ? {} : { agent: flags.agent }),
      ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
    }),
  );
  // More runs than this page: said on stderr, so --json's stdout stays the contract's array.
  if (page.nextCursor !== undefined) io.err(`tracewright: more runs than these ${page.runs.length}; the next page: add --cursor ${page.nextCursor}`);
  if (flags.json) {
    io.out(JSON.stringify(page.runs.map(listItem), null, 2));
    return 0;
  }
  if (page.runs.length === 0) {
    const filtered = status !== undefined || flags.agent !== undefined;
    io.out(
      filtered
        ? `No runs match${status === undefined ? "" : ` --status ${status}`}${flags.agent === undefined ? "" : ` --agent ${flags.agent}`}. Drop a filter to see every run.`
        : "No runs recorded yet. Start the collector (npx tracewright collector) and run an agent (npx tracewright agents run supervisor).",
    );
    return 0;
  }
  // A replay's served model calls repeat the recording's tokens, spent when it ran: the column says which run a row replays.
  io.out(
    table(
      ["RUN", "AGENT", "STATUS", "STARTED", "DURATION", "STEPS", "TOKENS IN/OUT", "REPLAY OF"],
      page.runs.map((r) => [r.runId, r.agent, `${MARK[r.status] ?? ""} ${r.status}`, r.startTime, formatMs(r.durationMs), String(r.steps), `${r.inputTokens}/${r.outputTokens}`, r.replayOf ?? ""]),
    ),
  );
  return 0;
}

/** The contract's list item: without the store's extra fields. */
function listItem(run: RunSummary): Omit<RunSummary, "errors" | "inputTokens" | "outputTokens"> {
  const { errors: _errors, inputTokens: _input, outputTokens: _output, ...item } = run;
  return item;
}

/** `tracewright runs show RUN_ID`: the step tree with states. */
export async function runsShow(runId: string, flags: Flags, io: Io): Promise<number> {
  const detail = await withStore(flags, (store) => loadRunDetail(store, runId));
  // Thrown, so that under --json the failure is JSON too.
  if (detail === undefined) throw new TracewrightError("CLI_NO_RUN", `no run ${runId} in the store at ${storeDescription(flags)}. List runs with: npx tracewright runs list`);
  if (flags.json) {
    io.out(JSON.stringify({ run: listItem(detail.run), steps: detail.steps.map(stepItem) }, null, 2));
    return 0;
  }
  const { run } = detail;
  io.out(`${run.agent}  ${MARK[run.status] ?? ""} ${run.status}  ${run.startTime}  ${formatMs(run.durationMs)}  ${run.steps} steps  run ${run.runId}`);
  for (const step of detail.steps) {
    const indent = "  ".repeat(step.depth);
    io.out(`${indent}${MARK[step.status] ?? ""} ${step.kind} ${step.name}  ${formatMs(step.durationMs)}${usage(step.attributes)}  [${step.key}]`);
    io.out(`${indent}    in:  ${preview(step.input)}`);
    if (step.error !== undefined) io.out(`${indent}    error: ${step.error.type}: ${step.error.message}`);
    else io.out(`${indent}    out: ${preview(step.output)}`);
  }
  io.out("(states shortened; --json prints them whole)");
  return 0;
}

/** A model call's model and tokens, as the line shows them: `  claude-3-haiku 1200/85 tokens` (`?` for a count not recorded). */
function usage(attributes: Attributes): string {
  const model = [attributes[GenAI.RESPONSE_MODEL], attributes[GenAI.REQUEST_MODEL]].find((m): m is string => typeof m === "string" && m !== "");
  const input = tokenCount(attributes[GenAI.USAGE_INPUT_TOKENS]);
  const output = tokenCount(attributes[GenAI.USAGE_OUTPUT_TOKENS]);
  const tokens = input === undefined && output === undefined ? undefined : `${input ?? "?"}/${output ?? "?"} tokens`;
  const said = [model, tokens].filter((part) => part !== undefined).join(" ");
  return said === "" ? "" : `  ${said}`;
}

/**
 * A step as `--json` prints it: the contract's fields, then its span's id and attributes (model,
 * tokens, tool, retries, links: what the dashboard shows), but for the attributes its `input` and
 * `output` were read from, which they give parsed and whole.
 */
function stepItem(step: Step): Pick<Step, "key" | "kind" | "name" | "parentKey" | "status" | "startTime" | "durationMs" | "input" | "output" | "error" | "spanId" | "attributes"> {
  const states = [stateAttribute(step.attributes, "input"), stateAttribute(step.attributes, "output")];
  // fromEntries makes own properties, a recorded `__proto__` key too.
  const attributes: Attributes = Object.fromEntries(Object.entries(step.attributes).filter(([key]) => !states.includes(key)));
  return {
    key: step.key,
    kind: step.kind,
    name: step.name,
    parentKey: step.parentKey,
    status: step.status,
    startTime: step.startTime,
    durationMs: step.durationMs,
    input: step.input,
    output: step.output,
    ...(step.error === undefined ? {} : { error: step.error }),
    spanId: step.spanId,
    attributes,
  };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
