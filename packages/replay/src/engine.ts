import { performance } from "node:perf_hooks";
import type { Link } from "@opentelemetry/api";
import { TraceFlags } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { redactText, revive } from "@tracewright/instrument";
import { Resource, Tracewright } from "@tracewright/instrument/conventions";
import { sortedJson } from "@tracewright/instrument/shared";
import type { TraceStore } from "@tracewright/store";
import { ReplayError } from "./errors.js";
import { withoutNetwork } from "./guard.js";
import { Cassette, errorText } from "./interceptor.js";
import type { CassetteOptions } from "./interceptor.js";
import { jsonDiff } from "./json-patch.js";
import { assertReplayable, insideBoundaries, loadRecording, servedWhole, subRecording, toRecording } from "./recording.js";
import type { RecordedStep, Recording } from "./recording.js";
import { CollectingProcessor } from "./spans.js";
import type { Divergence, ReplayReport, ReplayableAgent } from "./types.js";
import { REPLAY_MODES } from "./types.js";

export interface ReplayOptions extends CassetteOptions {
  /** Where the run is read from and where the replay run is written. */
  store: TraceStore;
  runId: string;
  /** The agents that can be re-run, by name (the recorded root's agent name). */
  agents: readonly ReplayableAgent[];
  /** Named fixes the agent's entry point applies (e.g. a bug switched off by a flag). */
  fixes?: readonly string[];
  /**
   * Replay one agent invocation inside the run on its own — e.g. the consumer that handled one
   * message — from its recorded input event: the key of that `agent` step.
   */
  step?: string;
}

/**
 * Replays a recorded run: re-executes the agent's own code with every boundary served from the
 * recording (or live, as the mode says), records the replay as a new run linked to the original
 * (which is left untouched), and reports the first divergence.
 */
/** How long a replay waits, once its root has ended, for the steps still open then (see Cassette.settle). */
const SETTLE_TIMEOUT_MS = 10_000;

export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  if (!REPLAY_MODES.includes(options.mode)) throw new ReplayError("REPLAY_BAD_MODE", `Unknown replay mode "${String(options.mode)}": use ${REPLAY_MODES.join(", ")}.`);
  const whole = await loadRecording(options.store, options.runId);
  const recording = options.step === undefined ? whole : subRecording(whole, options.step);
  assertReplayable(recording);
  const agent = options.agents.find((a) => a.name === recording.root.name);
  if (agent === undefined) {
    const known = options.agents.map((a) => a.name).join(", ") || "none";
    throw new ReplayError("REPLAY_NO_AGENT", `${options.step === undefined ? `Run ${options.runId}` : `Step ${options.step}`} was recorded by agent "${recording.root.name}", which has no registered replay entry point (registered: ${known}).`);
  }
  if (options.mode === "fork") {
    if (options.from === undefined) throw new ReplayError("REPLAY_FORK_NEEDS_FROM", "Fork mode needs the step to fork from (--from STEP_KEY).");
    if (!recording.byKey.has(options.from)) throw new ReplayError("REPLAY_NO_STEP", `Run ${options.runId} has no step ${options.from}. Its steps are listed by: npx tracewright runs show ${options.runId}`);
    const enclosing = enclosingBoundary(recording, options.from);
    if (enclosing !== undefined) {
      throw new ReplayError(
        "REPLAY_FORK_INSIDE_BOUNDARY",
        `Step ${options.from} was recorded inside ${enclosing.kind} ${enclosing.name} (${enclosing.key}), which replay serves whole, without running its function, so a fork never reaches it. Fork from that ${enclosing.kind} instead, patching its output: --from ${enclosing.key}`,
      );
    }
  }

  const collected = new CollectingProcessor();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ [Resource.SERVICE_NAME]: "tracewright-replay" }), spanProcessors: [collected] });
  const tracer = provider.getTracer("@tracewright/replay", "0.1.0");
  const cassette = new Cassette(recording, options);
  const link: Link = { context: { traceId: recording.root.traceId, spanId: recording.root.spanId, traceFlags: TraceFlags.SAMPLED }, attributes: { [Tracewright.REPLAY_OF]: recording.run.runId } };
  const runOptions = {
    interceptor: cassette,
    tracer,
    links: [link],
    attributes: { [Tracewright.REPLAY_OF]: recording.run.runId, [Tracewright.REPLAY_MODE]: options.mode },
    // A run recorded deterministic replays so: its clock and random reads are served, not read anew.
    ...(recording.root.deterministic || whole.root.deterministic ? { deterministic: true } : {}),
  };

  const started = performance.now();
  const execute = () => agent.run(revive(recording.inputJson), runOptions, { fixes: options.fixes ?? [], runInput: revive(whole.inputJson) });
  const result = options.mode === "reproduce" ? await withoutNetwork(execute) : await execute();
  // Calls still in flight when the root ended end their spans as they did when recorded.
  await cassette.settle(SETTLE_TIMEOUT_MS);
  const replayMs = performance.now() - started;
  const unusedKeys = cassette.finish();
  await provider.forceFlush();
  await provider.shutdown();
  await options.store.ingest(collected.spans);

  const replayed = toRecording(
    (await options.store.getRun(result.runId)) ?? { ...recording.run, runId: result.runId },
    collected.spans,
  );
  const traceDifference = firstTraceDifference(recording, replayed);
  const divergences = cassette.divergences;
  if (options.mode === "reproduce" && divergences.length === 0 && traceDifference !== undefined) divergences.push(traceDifference);

  const error = result.status === "error" ? errorLine(result.error) : undefined;
  const outcome: ReplayReport["outcome"] =
    options.mode === "reproduce" ? (divergences.length === 0 ? "reproduced" : "diverged") : result.status === "ok" ? "completed" : "failed";
  const report: ReplayReport = {
    runId: recording.run.runId,
    replayRunId: result.runId,
    mode: options.mode,
    outcome,
    ...(divergences[0] === undefined ? {} : { first: divergences[0] }),
    divergences,
    stats: {
      hits: cassette.hits,
      live: cassette.live,
      unused: unusedKeys.length,
      recordedSteps: recording.steps.length,
      replayedSteps: replayed.steps.length,
      traceIdentical: traceDifference === undefined,
      replayMs: Math.round(replayMs * 100) / 100,
      recordedMs: recording.run.durationMs,
    },
    ...(error === undefined ? {} : { error }),
    unusedKeys,
    summary: "",
  };
  const notes = outcome === "diverged" || outcome === "failed" ? servedAsJsonNotes(cassette.servedAsJson) : [];
  if (notes.length > 0) report.notes = notes;
  report.summary = [summarize(report), ...notes].join(" ");
  return report;
}

/** The outermost boundary served whole that a step was recorded inside (see `insideBoundaries`), if any. */
function enclosingBoundary(recording: Recording, key: string): RecordedStep | undefined {
  let outermost: RecordedStep | undefined;
  for (let parent = recording.byKey.get(key)?.parentKey ?? null; parent !== null; parent = recording.byKey.get(parent)?.parentKey ?? null) {
    const step = recording.byKey.get(parent);
    if (step !== undefined && servedWhole(step.kind)) outermost = step;
  }
  return outermost;
}

function errorLine(error: unknown): string {
  return error instanceof Error ? errorText(error.name, error.message) : redactText(String(error));
}

/**
 * Steps compared without ids and times: key, kind, input, output, error — the states with their
 * keys sorted, so that a state recorded in another key order (an older recording, whose states
 * were written sorted) is the same state.
 */
function canonical(step: RecordedStep): string {
  const input = step.inputJson === undefined ? (step.inputHash ?? null) : (sortedJson(step.inputJson) ?? step.inputJson);
  return JSON.stringify([step.key, step.kind, input, step.outputJson === undefined ? null : (sortedJson(step.outputJson) ?? step.outputJson), step.error === undefined ? null : `${step.error.type}: ${step.error.message}`]);
}

/** A run's steps as compared: without those inside a boundary (served, its function does not run). */
function compared(recording: Recording): RecordedStep[] {
  const inside = insideBoundaries(recording.steps);
  return inside.size === 0 ? recording.steps : recording.steps.filter((s) => !inside.has(s.key));
}

function firstTraceDifference(recording: Recording, replay: Recording): Divergence | undefined {
  const recorded = compared(recording);
  const replayed = compared(replay);
  const length = Math.max(recorded.length, replayed.length);
  for (let i = 0; i < length; i++) {
    const a = recorded[i];
    const b = replayed[i];
    if (a !== undefined && b !== undefined && canonical(a) === canonical(b)) continue;
    if (a === undefined && b !== undefined) return { type: "unexpected_call", key: b.key, actual: { key: b.key, kind: b.kind, name: b.name }, message: `the replay has a step the recording does not: ${b.kind} ${b.name} at ${b.key}` };
    if (b === undefined && a !== undefined) return { type: "missing_call", key: a.key, expected: { key: a.key, kind: a.kind, name: a.name }, message: `the replay lacks recorded ${a.kind} ${a.name} at ${a.key}` };
    if (a === undefined || b === undefined) return undefined;
    if (a.key !== b.key) return { type: "call_replaced", key: a.key, expected: { key: a.key, kind: a.kind, name: a.name }, actual: { key: b.key, kind: b.kind, name: b.name }, message: `recorded ${a.kind} ${a.name} at ${a.key}; the replay has ${b.kind} ${b.name} at ${b.key}` };
    const parse = (json: string | undefined): unknown => (json === undefined ? null : (JSON.parse(json) as unknown));
    return { type: "state_mismatch", key: a.key, expected: { key: a.key, kind: a.kind, name: a.name }, actual: { key: b.key, kind: b.kind, name: b.name }, outputDiff: jsonDiff(parse(a.outputJson), parse(b.outputJson)), message: `${a.kind} ${a.name} at ${a.key} differs from the recording` };
  }
  return undefined;
}

/**
 * A run that failed or diverged after served results that were LangChain objects when recorded
 * and came back as their JSON (`{ lc, type, id, kwargs }`): the agent's code, reading an
 * `AIMessage`'s fields or calling its methods, may have failed on the JSON. Said once, naming the
 * calls (the first three).
 */
function servedAsJsonNotes(served: ReadonlyMap<string, string>): string[] {
  if (served.size === 0) return [];
  const calls = [...served].slice(0, 3).map(([key, className]) => `${key} (${className})`);
  const more = served.size > 3 ? ` and ${served.size - 3} more` : "";
  return [`Served as recorded JSON, not as the instances the agent had: ${calls.join(", ")}${more}. Code that reads their fields or calls their methods needs the call's revive option, e.g. revive: (v) => new AIMessage(v.kwargs) (docs/replay.md, "Results that are class instances").`];
}

/** The one-line human summary. */
export function summarize(report: ReplayReport): string {
  const { stats } = report;
  const counts = `${stats.hits} served, ${stats.live} live`;
  const first = report.first;
  switch (report.outcome) {
    case "reproduced":
      return `Reproduced run ${report.runId} as ${report.replayRunId}: the same ${stats.replayedSteps} steps${report.error === undefined ? "" : ` and the same error (${report.error})`} (${counts}).`;
    case "diverged":
      return `Diverged from run ${report.runId} at ${first?.key ?? "?"} (${first?.type ?? "?"}): ${first?.message ?? ""} (${counts}).`;
    default: {
      const ended = report.outcome === "completed" ? "completed" : `failed (${report.error ?? "error"})`;
      const divergence = first === undefined ? "no divergence" : `first divergence at ${first.key} (${first.type}): ${first.message}`;
      return `${report.mode} of run ${report.runId} ${ended} as ${report.replayRunId}; ${divergence} (${counts}).`;
    }
  }
}
