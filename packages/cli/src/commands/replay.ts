import { readFile } from "node:fs/promises";
import { FIXES, replayEntryPoints } from "@tracewright/reference-agents";
import { REPLAY_MODES, replay } from "@tracewright/replay";
import type { ReplayMode, ReplayReport } from "@tracewright/replay";
import type { Flags, Io } from "../main.js";
import { UsageError, openExistingStore } from "../main.js";

/**
 * `tracewright replay RUN_ID`: replays a recorded run and prints the divergence report. The
 * replay is recorded in the same store as a new run linked to the original.
 */
export async function replayCommand(runId: string, flags: Flags, io: Io): Promise<number> {
  const mode = (flags.mode ?? "reproduce") as ReplayMode;
  if (!REPLAY_MODES.includes(mode)) throw new UsageError(`--mode takes ${REPLAY_MODES.join(", ")}; got "${flags.mode}"`);
  if (mode === "fork" && flags.from === undefined) throw new UsageError("--mode fork needs --from STEP_KEY");
  // A fix names a fault the reference agents' "fixed code" leaves out: a misspelt one would replay the fault as recorded.
  for (const fix of flags.fix ?? []) if (!(FIXES as readonly string[]).includes(fix)) throw new UsageError(`--fix takes a fault the reference agents can be fixed of: ${FIXES.join(", ")}; got "${fix}"`);
  let patch: unknown;
  if (flags.patch !== undefined) {
    try {
      patch = JSON.parse(await readFile(flags.patch, "utf8")) as unknown;
    } catch (error) {
      throw new UsageError(`--patch ${flags.patch}: not a readable JSON file (${(error as Error).message})`);
    }
  }
  const onDivergence = flags.stop ? "stop" : "live";
  const store = openExistingStore(flags);
  let report: ReplayReport;
  try {
    report = await replay({
      store,
      runId,
      mode,
      agents: replayEntryPoints,
      onDivergence,
      ...(flags.from === undefined ? {} : { from: flags.from }),
      ...(flags.step === undefined ? {} : { step: flags.step }),
      ...(patch === undefined ? {} : { patch }),
      ...(flags.fix === undefined ? {} : { fixes: flags.fix }),
      ...(flags["allow-side-effects"] ? { allowSideEffects: true } : {}),
    });
  } finally {
    await store.close();
  }
  const code = flags["exit-code"] && (report.outcome === "diverged" || report.outcome === "failed") ? EXIT_NOT_AS_HOPED : 0;
  if (flags.json) {
    io.out(JSON.stringify(report, null, 2));
    return code;
  }
  io.out(report.summary);
  io.out(`replay run: ${report.replayRunId}   (npx tracewright runs show ${report.replayRunId})`);
  for (const d of report.divergences.slice(0, 10)) io.out(`  ${d.type.padEnd(16)} ${d.key}\n      ${d.message}`);
  if (report.divergences.length > 10) io.out(`  … ${report.divergences.length - 10} more (--json prints them all)`);
  return code;
}

/**
 * `--exit-code`'s answer when the replay did not come out as hoped — a reproduce that diverged,
 * a verify-fix or fork whose run still failed — so that CI can gate on "does the fix make the
 * failed run pass". Without the flag, a replay that ran exits 0 whatever its outcome.
 */
export const EXIT_NOT_AS_HOPED = 3;
