import type { RunOptions, RunResult } from "@tracewright/instrument";

/** The replay modes of the contract (ARCHITECTURE.md, Replay). */
export type ReplayMode = "reproduce" | "verify-fix" | "fork";

export const REPLAY_MODES: readonly ReplayMode[] = ["reproduce", "verify-fix", "fork"];

/** Divergence kinds of the contract. */
export type DivergenceKind = "input_changed" | "unexpected_call" | "missing_call" | "call_replaced" | "state_mismatch" | "error_mismatch";

/** One JSON Patch (RFC 6902) operation. */
export interface PatchOperation {
  op: "add" | "remove" | "replace";
  path: string;
  value?: unknown;
}

export interface Divergence {
  type: DivergenceKind;
  /** The step key where it shows: the recorded step's key, or the new call's where nothing was recorded. */
  key: string;
  /** What the recording has there, if anything: `kind:name` and key. */
  expected?: { key: string; kind: string; name: string; inputHash?: string };
  /** What this run did there, if anything. */
  actual?: { key: string; kind: string; name: string; inputHash?: string };
  /** For input_changed: the JSON Patch from the recorded input to this run's. */
  inputDiff?: PatchOperation[];
  /** For state_mismatch: the JSON Patch from the recorded output to this run's. */
  outputDiff?: PatchOperation[];
  /** For error_mismatch: the recorded and the actual error, `Name: message`. */
  expectedError?: string | null;
  actualError?: string | null;
  /** For call_replaced: whether the recorded call was made later (the calls were reordered). */
  reordered?: boolean;
  /** One line for humans. */
  message: string;
}

export interface ReplayStats {
  /** Boundary calls served from the recording. */
  hits: number;
  /** Boundary calls that ran live. */
  live: number;
  /** Recorded boundary results never served. */
  unused: number;
  /** Steps recorded in the original run and in the replay. */
  recordedSteps: number;
  replayedSteps: number;
  /** Whether the two runs' canonical traces (keys, kinds, inputs, outputs, errors; no ids or times) are identical. */
  traceIdentical: boolean;
  /** Wall time of the replay, and of the recorded run. */
  replayMs: number;
  recordedMs: number;
}

/** The divergence report: `tracewright replay --json` prints it; docs/replay-report.schema.json describes it. */
export interface ReplayReport {
  runId: string;
  replayRunId: string;
  mode: ReplayMode;
  outcome: "reproduced" | "diverged" | "completed" | "failed";
  first?: Divergence;
  divergences: Divergence[];
  stats: ReplayStats;
  /** The replay run's own error, if it failed: `Name: message`. */
  error?: string;
  unusedKeys: string[];
  /**
   * What may explain a replay that did not come out as recorded: the served results that came
   * back as JSON where the agent had class instances (a LangChain message), their calls given no
   * `revive`. Absent when there is nothing to say.
   */
  notes?: string[];
  summary: string;
}

/**
 * How an agent is replayed: the entry point that runs it on a recorded input with the replay's
 * run options (interceptor, tracer, links). Agents register one per agent name (the root's
 * `gen_ai.agent.name`).
 */
export interface ReplayableAgent {
  name: string;
  /**
   * `context.runInput` is the input of the whole recorded run, for an entry point that replays
   * one invocation inside it (a consumer) and needs the run's settings.
   */
  run(input: unknown, runOptions: RunOptions, context: { fixes: readonly string[]; runInput?: unknown }): Promise<RunResult<unknown>>;
}
