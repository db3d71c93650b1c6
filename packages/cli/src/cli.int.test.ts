import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GenAI, OpenInference, Tracewright } from "@tracewright/instrument/conventions";
import { startCollector } from "@tracewright/collector-lambda";
import type { CollectorHandle } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import type { SqliteStore } from "@tracewright/store";
import { makeSpan } from "@tracewright/store/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./main.js";

/** Runs the CLI in-process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

/** The command as a user runs it: the committed shim over the built package. */
const bin = fileURLToPath(new URL("../bin/tracewright.js", import.meta.url));

let collector: CollectorHandle;
let store: SqliteStore;
let db: string;

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), "tw-cli-")), "traces.db");
  store = openSqliteStore({ path: db });
  collector = await startCollector({ store, port: 0 });
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
});
afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await collector.close();
  await store.close();
});

describe("the tracewright command, end to end through a real collector", () => {
  let failedRun = "";
  let okRun = "";

  it("agents run prints the run id, and exits 0 even when the run failed", async () => {
    const failed = await cli("agents", "run", "supervisor", "--scenario", "tool_error", "--json");
    expect(failed.code).toBe(0);
    const parsed = JSON.parse(failed.out) as { runId: string; status: string };
    expect(parsed).toEqual({ runId: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown as string, status: "error" });
    failedRun = parsed.runId;
    const ok = await cli("agents", "run", "supervisor");
    expect(ok.code).toBe(0);
    okRun = ok.out.trim();
    expect(okRun).toMatch(/^[0-9a-f]{32}$/);
  });

  it("collector takes its sinks from TRACEWRIGHT_SINKS when no --sink is given, naming the variable when it is wrong", async () => {
    process.env.TRACEWRIGHT_SINKS = "store, nope";
    try {
      const { code, err } = await cli("collector", "--port", "0");
      expect(code).toBe(2);
      expect(err).toContain('tracewright: TRACEWRIGHT_SINKS: Unknown sink "nope": choose from store, xray, cloudwatch, langsmith, memory.');
      const flagged = await cli("collector", "--port", "0", "--sink", "nope2");
      expect(flagged.code).toBe(2);
      expect(flagged.err).toContain('tracewright: Unknown sink "nope2"');
    } finally {
      delete process.env.TRACEWRIGHT_SINKS;
    }
  });

  it("agents scenarios lists each scenario with its expected outcome", async () => {
    const { out } = await cli("agents", "scenarios", "--json");
    const list = JSON.parse(out) as { agent: string; scenario: string; expect: string }[];
    expect(list).toContainEqual({ agent: "supervisor", scenario: "tool_error", expect: "error" });
    expect(list).toContainEqual({ agent: "supervisor", scenario: "success", expect: "ok" });
  });

  it("runs list --json gives the contract's fields, newest first, filterable", async () => {
    const { out, code } = await cli("runs", "list", "--json", "--db", db);
    expect(code).toBe(0);
    const runs = JSON.parse(out) as Record<string, unknown>[];
    expect(runs.map((r) => r.runId)).toEqual([okRun, failedRun]);
    expect(Object.keys(runs[1]!).sort()).toEqual(["agent", "durationMs", "runId", "startTime", "status", "steps", "traceId"]);
    expect(runs[1]).toMatchObject({ agent: "supervisor", status: "error" });
    const failedOnly = JSON.parse((await cli("runs", "list", "--json", "--status", "error", "--db", db)).out) as { runId: string }[];
    expect(failedOnly.map((r) => r.runId)).toEqual([failedRun]);
    // As the contract spells it.
    const failed = JSON.parse((await cli("runs", "list", "--json", "--status", "failed", "--db", db)).out) as { runId: string }[];
    expect(failed.map((r) => r.runId)).toEqual([failedRun]);
    expect((await cli("runs", "list", "--status", "bogus", "--db", db)).code).toBe(2);
    // A page at a time: the rest is named on stderr, and --cursor reads it.
    const first = await cli("runs", "list", "--json", "--limit", "1", "--db", db);
    expect((JSON.parse(first.out) as { runId: string }[]).map((r) => r.runId)).toEqual([okRun]);
    const cursor = /--cursor (\S+)/.exec(first.err)?.[1];
    expect(cursor).toBeDefined();
    const second = await cli("runs", "list", "--json", "--limit", "1", "--cursor", cursor as string, "--db", db);
    expect((JSON.parse(second.out) as { runId: string }[]).map((r) => r.runId)).toEqual([failedRun]);
    expect(second.err).not.toContain("--cursor");
    const none = await cli("runs", "list", "--agent", "nobody", "--db", db);
    expect(none.code).toBe(0);
    expect(none.out).toContain("No runs match --agent nobody");
  });

  it("runs show --json gives the steps with whole states and the error", async () => {
    const { out } = await cli("runs", "show", failedRun, "--json", "--db", db);
    const detail = JSON.parse(out) as { run: { runId: string }; steps: { key: string; kind: string; parentKey: string | null; input: unknown; error?: { type: string; message: string } }[] };
    expect(detail.run.runId).toBe(failedRun);
    expect(detail.steps[0]).toMatchObject({ key: "supervisor", kind: "agent", parentKey: null });
    const failing = detail.steps.find((s) => s.key.endsWith("tool:fetch_document#0"));
    expect(failing?.input).toEqual({ id: "doc://pricing" });
    expect(failing?.error).toMatchObject({ type: "UpstreamError", message: expect.stringContaining("503") as unknown as string });
    // Each step's span id and attributes too (a model call's model and tokens), but for the state texts, which input and output are.
    const model = detail.steps.find((s) => s.kind === "llm") as unknown as { spanId: string; attributes: Record<string, unknown> } | undefined;
    expect(model?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(model?.attributes).toMatchObject({ [GenAI.REQUEST_MODEL]: expect.any(String), [GenAI.USAGE_INPUT_TOKENS]: expect.any(Number), [Tracewright.STEP_KEY]: expect.any(String) });
    expect(Object.keys(model?.attributes ?? {})).not.toContain(OpenInference.INPUT_VALUE);
    expect(Object.keys(model?.attributes ?? {})).not.toContain(OpenInference.OUTPUT_VALUE);
    // The text tree names a model call's model and tokens on its line.
    const text = (await cli("runs", "show", failedRun, "--db", db)).out;
    const line = text.split("\n").find((l) => l.includes(" llm "));
    expect(line).toContain(String(model?.attributes[GenAI.RESPONSE_MODEL] ?? model?.attributes[GenAI.REQUEST_MODEL]));
    expect(line).toMatch(/ \d+\/\d+ tokens /);
    const missing = await cli("runs", "show", "0".repeat(32), "--db", db);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("no run");
    // Under --json, the failure is JSON on stderr, as for every command.
    const missingJson = await cli("runs", "show", "0".repeat(32), "--db", db, "--json");
    expect(missingJson.code).toBe(1);
    expect(JSON.parse(missingJson.err)).toEqual({ error: { code: "CLI_NO_RUN", message: expect.stringContaining(`no run ${"0".repeat(32)} in the store at ${db}`) as unknown as string } });
  });

  it("prints a recorded name, model or error with its control characters escaped: the agent's text never drives the reader's terminal", async () => {
    const hostile = join(mkdtempSync(join(tmpdir(), "tw-cli-esc-")), "traces.db");
    const escStore = openSqliteStore({ path: hostile });
    const run = "e5c0000000000000000000000000e5c0";
    const name = "lookup\u001b]0;pwned\u0007\u001b[2J\u202e";
    await escStore.ingest([
      makeSpan({ run, key: "agent", output: "done" }),
      makeSpan({ run, key: `agent/tool:${name}#0`, kind: "tool", parent: "agent", error: "bad\u001b[31m\rred", attributes: { [GenAI.REQUEST_MODEL]: "m\u009b1m" } }),
    ]);
    await escStore.close();
    const text = await cli("runs", "show", run, "--db", hostile);
    expect(text.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
    expect(text.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(text.out).toContain("lookup\\u001b]0;pwned\\u0007\\u001b[2J\\u202e");
    expect(text.out).toContain("bad\\u001b[31m\\u000dred");
    expect(text.out).toContain("m\\u009b1m");
    // --json stays JSON, and gives the text as recorded.
    const json = await cli("runs", "show", run, "--db", hostile, "--json");
    expect(json.out).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    const steps = (JSON.parse(json.out) as { steps: { name: string; attributes: Record<string, unknown> }[] }).steps;
    expect(steps[1]?.name).toBe(name);
    expect(steps[1]?.attributes[GenAI.REQUEST_MODEL]).toBe("m\u009b1m");
  });

  it("reading commands never create a store: a mistyped --db names the path, and leaves nothing behind", async () => {
    const nowhere = join(mkdtempSync(join(tmpdir(), "tw-cli-none-")), "typo", "traces.db");
    const list = await cli("runs", "list", "--db", nowhere);
    expect(list.code).toBe(0);
    expect(list.out).toContain(`No runs recorded yet: there is no trace store at ${nowhere}`);
    expect((await cli("runs", "list", "--db", nowhere, "--json")).out.trim()).toBe("[]");
    for (const argv of [["runs", "show", failedRun], ["replay", failedRun]]) {
      const { code, err } = await cli(...argv, "--db", nowhere, "--json");
      expect(code, argv.join(" ")).toBe(1);
      expect(JSON.parse(err)).toEqual({ error: { code: "CLI_NO_STORE", message: expect.stringContaining(`there is no trace store at ${nowhere}`) as unknown as string } });
    }
    expect(existsSync(dirname(nowhere))).toBe(false);
  });

  it("runs show into a reader that stops early (| head) ends quietly, not with an EPIPE stack", async () => {
    const child = spawn(process.execPath, [bin, "runs", "show", failedRun, "--db", db], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy(); // the reader is gone before the first line is written
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(err).toBe("");
    expect(code).toBe(0);
  });

  it("replay reproduces the failed run and records the replay as a linked run", async () => {
    const { out, code } = await cli("replay", failedRun, "--json", "--db", db);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { runId: string; replayRunId: string; mode: string; outcome: string; divergences: unknown[]; stats: { hits: number; live: number }; summary: string };
    expect(report).toMatchObject({ runId: failedRun, mode: "reproduce", outcome: "reproduced", divergences: [] });
    expect(report.stats.live).toBe(0);
    expect(report.summary).toContain("Reproduced");
    const runs = JSON.parse((await cli("runs", "list", "--json", "--db", db)).out) as { runId: string; replayOf?: string }[];
    expect(runs.find((r) => r.runId === report.replayRunId)?.replayOf).toBe(failedRun);
    // The table says so too: the replay's row names the run it replays, the recorded run's none.
    const rows = (await cli("runs", "list", "--db", db)).out.split("\n");
    expect(rows[0]).toMatch(/TOKENS IN\/OUT\s+REPLAY OF$/);
    expect(rows.find((row) => row.startsWith(report.replayRunId))?.trimEnd().endsWith(failedRun)).toBe(true);
    expect(rows.find((row) => row.startsWith(failedRun))?.trimEnd().endsWith(failedRun)).toBe(false);
  });

  it("replay --exit-code answers 3 when the replay did not come out as hoped, for CI to gate on; a refusal under --json is JSON", async () => {
    // The tool still fails when its recorded error is served: verify-fix without a fix fails again.
    expect((await cli("replay", failedRun, "--mode", "verify-fix", "--exit-code", "--db", db)).code).toBe(3);
    expect((await cli("replay", failedRun, "--mode", "verify-fix", "--db", db)).code).toBe(0);
    expect((await cli("replay", okRun, "--mode", "verify-fix", "--exit-code", "--db", db)).code).toBe(0);
    // A fault the agents know is taken; a misspelt one is wrong words, not a replay that silently fixes nothing.
    expect((await cli("replay", failedRun, "--mode", "verify-fix", "--fix", "agent_bug", "--db", db)).code).toBe(0);
    const misspelt = await cli("replay", failedRun, "--mode", "verify-fix", "--fix", "tool_eror", "--db", db);
    expect(misspelt.code).toBe(2);
    expect(misspelt.err).toContain('--fix takes a fault the reference agents can be fixed of: tool_error, tool_timeout');
    expect(misspelt.err).toContain('got "tool_eror"');
    expect((await cli("replay", failedRun, "--exit-code", "--json", "--db", db)).code).toBe(0);
    const refused = await cli("replay", "no-such-run", "--json", "--db", db);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.err)).toEqual({ error: { code: expect.stringMatching(/^REPLAY_/) as unknown as string, message: expect.stringContaining("no-such-run") as unknown as string } });
  });

  it("agents run still runs with no collector, and says the run is not recorded", async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:9";
    try {
      const { code, out, err } = await cli("agents", "run", "supervisor", "--json");
      expect(code).toBe(0);
      expect((JSON.parse(out) as { status: string }).status).toBe("ok");
      expect(err).toContain("no collector answers at http://127.0.0.1:9");
    } finally {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    }
  });

  it("rejects bad words with usage and exit code 2", async () => {
    expect((await cli("nonsense")).code).toBe(2);
    expect((await cli("replay", failedRun, "--mode", "sideways", "--db", db)).code).toBe(2);
    expect((await cli("replay", failedRun, "--mode", "fork", "--db", db)).code).toBe(2);
    expect((await cli("agents", "run", "nobody")).code).toBe(2);
  });
});
