import { BOUNDARY_STEP_KINDS, OpenInference, PayloadMarker, StepKind, stepKeySegment, Tracewright } from "@tracewright/instrument/conventions";
import { buildSteps } from "@tracewright/store";
import type { RunSummary, SpanRecord, Step, TraceStore } from "@tracewright/store";
import { ReplayError } from "./errors.js";

/** The kinds whose results come from outside the agent's code: what replay serves. */
export const BOUNDARY_KINDS = BOUNDARY_STEP_KINDS;

/** One recorded step, as the cassette keeps it. */
export interface RecordedStep {
  key: string;
  kind: string;
  name: string;
  parentKey: string | null;
  /** Call order among its parent's children. */
  seq: number;
  /** Whether `seq` was recorded (`tracewright.step.seq`); else it is the canonical position. */
  seqRecorded: boolean;
  /** How many steps it started, as it recorded when it ended (`tracewright.step.children`); undefined for a leaf, or a recording from before the key. */
  childCount: number | undefined;
  /** Canonical (pre-order) position in the run. */
  order: number;
  /** Position in the order the run's steps ended (span end time, then canonical order). */
  endOrder: number;
  inputHash: string | undefined;
  /** The canonical JSON of the input, as recorded. */
  inputJson: string | undefined;
  /** The output as recorded (canonical JSON), undefined when the step threw (but for a stream that broke off: see {@link isFailedStream}). */
  outputJson: string | undefined;
  /** The error as recorded: whole (`tracewright.error.value`) when the instrumentation had it. */
  errorJson: string | undefined;
  error: { type: string; message: string } | undefined;
  spanId: string;
  traceId: string;
  sideEffects: boolean;
  /** The step stopped its graph (a LangGraph interrupt) instead of ending: nothing to serve. */
  suspended: boolean;
  /** A root of a run made with `deterministic: true` (`tracewright.run.deterministic`). */
  deterministic: boolean;
  durationMs: number;
  /** Its span's start and end, microseconds since the epoch (0 when unreadable). */
  startUs: number;
  endUs: number;
}

/** A recorded run, indexed for replay: the cassette's contents. */
export interface Recording {
  run: RunSummary;
  root: RecordedStep;
  /** The root's input, parsed (tags still as JSON; revive before use). */
  inputJson: string;
  steps: RecordedStep[];
  byKey: Map<string, RecordedStep>;
  /** Children of each parent key, in call order. */
  childrenOf: Map<string, RecordedStep[]>;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A span time (nanoseconds since the epoch, as text) in microseconds; 0 when it is none. */
function micros(nanos: string | undefined): number {
  try {
    return nanos === undefined ? 0 : Number(BigInt(nanos) / 1000n);
  } catch {
    return 0;
  }
}

/**
 * Whether a failed step's output is a stream that broke off midway (`llmStream`, Bedrock's
 * `converseStream`): `{ events, failed: true, error? }` on an `llm` step. It is the one failed step
 * replay serves an output to — the events, then the error thrown from the reader's loop, as the
 * call ran. Any other failed step is served its error, whatever output it may carry.
 */
function isFailedStream(kind: string, output: unknown): boolean {
  if (kind !== StepKind.LLM || typeof output !== "string" || !output.includes('"failed":true')) return false;
  try {
    const parsed = JSON.parse(output) as { events?: unknown; failed?: unknown } | null;
    return parsed !== null && typeof parsed === "object" && Array.isArray(parsed.events) && parsed.failed === true;
  } catch {
    return false;
  }
}

/**
 * The instrumentation's steps among a run's steps, in canonical order, each under the step its
 * key names as its parent. Spans of other OpenTelemetry instrumentation (an HTTP client's, the
 * user's own `startActiveSpan`) belong in `runs show`, but replay never intercepts them and does
 * not record them (they go to their own tracer, not the replay's): as steps they would stand
 * where the cassette expects a recorded call (a false `missing_call`), and an instrumented step
 * under one would hang under a span the replay does not have. So the tree is the keys' tree (a
 * step's key extends its parent's), siblings in call order (`tracewright.step.seq`), else in
 * `buildSteps`' order; a step whose parent key is not in the run is a root. Iterative.
 */
function instrumentedSteps(steps: readonly Step[]): { step: Step; parentKey: string | null }[] {
  const kept = steps.filter((s) => typeof s.attributes[Tracewright.STEP_KEY] === "string");
  const index = new Map(kept.map((s, i) => [s.key, i]));
  const children = new Map<string | null, Step[]>();
  for (const step of kept) {
    const named = parentKeyOf(step.key);
    const parent = named !== null && index.has(named) ? named : null;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(step);
  }
  const seqOf = (s: Step): unknown => s.attributes[Tracewright.STEP_SEQ];
  const byCallOrder = (a: Step, b: Step): number => {
    const as = seqOf(a);
    const bs = seqOf(b);
    if (typeof as === "number" && typeof bs === "number" && as !== bs) return as - bs;
    return (index.get(a.key) ?? 0) - (index.get(b.key) ?? 0);
  };
  const out: { step: Step; parentKey: string | null }[] = [];
  const stack: { step: Step; parentKey: string | null }[] = [];
  const push = (parentKey: string | null): void => {
    const list = children.get(parentKey);
    if (list === undefined) return;
    children.delete(parentKey); // once, even if two steps share a key
    list.sort(byCallOrder);
    for (let i = list.length - 1; i >= 0; i--) stack.push({ step: list[i] as Step, parentKey });
  };
  push(null);
  while (stack.length > 0) {
    const item = stack.pop() as (typeof stack)[number];
    out.push(item);
    push(item.step.key);
  }
  return out;
}

/**
 * Indexes a run's spans as a recording: the instrumentation's steps (see
 * {@link instrumentedSteps}), in canonical order from `buildSteps`. Iterative.
 */
export function toRecording(run: RunSummary, spans: readonly SpanRecord[]): Recording {
  const unique = onceEach(spans);
  const traceBySpan = new Map(unique.map((s) => [s.spanId, s.traceId]));
  const spanById = new Map(unique.map((s) => [s.spanId, s]));
  const recorded: RecordedStep[] = instrumentedSteps(buildSteps(unique)).map(({ step, parentKey }, order) => {
    const a = step.attributes;
    const seq = a[Tracewright.STEP_SEQ];
    return {
      key: step.key,
      kind: step.kind,
      name: step.name,
      parentKey,
      seq: typeof seq === "number" ? seq : order,
      seqRecorded: typeof seq === "number",
      childCount: typeof a[Tracewright.STEP_CHILDREN] === "number" ? (a[Tracewright.STEP_CHILDREN] as number) : undefined,
      order,
      inputHash: str(a[Tracewright.INPUT_HASH]),
      inputJson: str(a[OpenInference.INPUT_VALUE]),
      outputJson: step.status === "error" && !isFailedStream(step.kind, a[OpenInference.OUTPUT_VALUE]) ? undefined : str(a[OpenInference.OUTPUT_VALUE]),
      errorJson: str(a[Tracewright.ERROR_VALUE]),
      error: step.error === undefined ? undefined : { type: step.error.type, message: step.error.message },
      spanId: step.spanId,
      traceId: traceBySpan.get(step.spanId) ?? run.traceId,
      sideEffects: a[Tracewright.TOOL_SIDE_EFFECTS] === true,
      suspended: a[Tracewright.STEP_SUSPENDED] === true,
      deterministic: a[Tracewright.RUN_DETERMINISTIC] === true,
      durationMs: step.durationMs,
      startUs: micros(spanById.get(step.spanId)?.startTimeUnixNano),
      endUs: micros(spanById.get(step.spanId)?.endTimeUnixNano),
      endOrder: 0,
    };
  });
  const endOf = new Map(unique.map((s) => [s.spanId, BigInt(s.endTimeUnixNano)]));
  const byEnd = recorded.map((s) => ({ s, end: endOf.get(s.spanId) ?? 0n })).sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : a.s.order - b.s.order));
  byEnd.forEach(({ s }, i) => (s.endOrder = i));
  const root = recorded.find((s) => s.parentKey === null && s.kind === StepKind.AGENT);
  if (root === undefined) {
    throw new ReplayError("REPLAY_NO_ROOT", `Run ${run.runId} has no recorded root agent step (a span with tracewright.step.kind "agent" and no parent), so there is nothing to re-run. Was it recorded with @tracewright/instrument's run()?`);
  }
  const byKey = new Map<string, RecordedStep>();
  const childrenOf = new Map<string, RecordedStep[]>();
  for (const step of recorded) {
    byKey.set(step.key, step);
    if (step.parentKey === null) continue;
    let list = childrenOf.get(step.parentKey);
    if (list === undefined) childrenOf.set(step.parentKey, (list = []));
    list.push(step);
  }
  for (const list of childrenOf.values()) list.sort((a, b) => a.seq - b.seq);
  return { run, root, inputJson: root.inputJson ?? "null", steps: recorded, byKey, childrenOf };
}

/**
 * Each span once, the first copy kept, as the stores keep it (ingest is idempotent by trace and
 * span id): spans in hand may hold a batch exported twice, and a duplicated parent would
 * duplicate its whole subtree.
 */
function onceEach(spans: readonly SpanRecord[]): readonly SpanRecord[] {
  const seen = new Set<string>();
  const out: SpanRecord[] = [];
  for (const span of spans) {
    const id = `${span.traceId}/${span.spanId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(span);
  }
  return out.length === spans.length ? spans : out;
}

/** How many problems a gap error names before "and N more". */
const NAMED = 5;

function listed(items: readonly string[]): string {
  return items.length <= NAMED ? items.join("; ") : `${items.slice(0, NAMED).join("; ")}; and ${items.length - NAMED} more`;
}

const MISSING_PREFIX = `{"$type":${JSON.stringify(PayloadMarker.MISSING)},`;

/** The ref and size of a `PayloadMissing` marker (a store's answer for a payload it never got). */
function missingPayload(json: string | undefined): { ref: string; bytes: number } | undefined {
  if (json === undefined || !json.startsWith(MISSING_PREFIX)) return undefined;
  try {
    const marker = JSON.parse(json) as { ref?: unknown; bytes?: unknown };
    return { ref: String(marker.ref), bytes: Number(marker.bytes) || 0 };
  } catch {
    return undefined;
  }
}

/** Why a recorded state is not JSON, or undefined when it is. */
function notJson(json: string): string | undefined {
  try {
    JSON.parse(json);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Refuses a recording that cannot be replayed faithfully, naming what is missing — rather than
 * letting the gap surface as a divergence that blames the agent's code:
 * - `REPLAY_RECORDING_GAP`: spans were lost — a step whose parent step is not in the run, or a
 *   parent whose recorded calls (`tracewright.step.seq`) skip a position or stop short of the
 *   number it recorded starting (`tracewright.step.children`);
 * - `REPLAY_PAYLOAD_MISSING`: a state sent by reference whose payload the store never received
 *   (the store answers a `PayloadMissing` marker, which replay would otherwise hand the agent);
 * - `REPLAY_STATE_INVALID`: a state (input, output or error) that is not JSON.
 */
export function assertReplayable(recording: Recording): void {
  const runId = recording.run.runId;
  const orphans = new Map<string, string[]>();
  for (const step of recording.steps) {
    if (step.parentKey !== null || step === recording.root) continue;
    const parent = parentKeyOf(step.key) ?? "?";
    let list = orphans.get(parent);
    if (list === undefined) orphans.set(parent, (list = []));
    list.push(step.key);
  }
  const gaps: string[] = [];
  for (const [parent, keys] of orphans) gaps.push(`${keys[0] ?? "?"}${keys.length > 1 ? ` and ${keys.length - 1} more have` : " has"} no recorded parent step (${parent})`);
  // Each parent's calls, #0 up to the last recorded — or up to as many as it said it started when
  // it ended, so that the loss of its last calls (nothing recorded after them) shows too.
  for (const step of recording.steps) {
    const seqs = new Set((recording.childrenOf.get(step.key) ?? []).filter((c) => c.seqRecorded).map((c) => c.seq));
    let count = step.childCount ?? 0;
    for (const seq of seqs) count = Math.max(count, seq + 1);
    for (let seq = 0; seq < count; seq++) if (!seqs.has(seq)) gaps.push(`${step.key} has no recorded call #${seq} (of ${count})`);
  }
  if (gaps.length > 0) {
    throw new ReplayError(
      "REPLAY_RECORDING_GAP",
      `Run ${runId}'s recording has gaps, so a replay would report them as changes in the code: ${listed(gaps)}. Spans were lost between the agent and the store (check the exporter's stats, dropped and failedSpans, and the collector's rejectedSpans), or are still arriving; \`npx tracewright runs show ${runId}\` lists what was recorded.`,
    );
  }
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const step of recording.steps) {
    for (const [what, json] of [["input", step.inputJson], ["output", step.outputJson], ["error", step.errorJson]] as const) {
      const marker = missingPayload(json);
      if (marker !== undefined) missing.push(`the ${what} of ${step.kind} ${step.name} at ${step.key} (ref ${marker.ref}, ${marker.bytes} bytes)`);
      else if (json !== undefined) {
        const reason = notJson(json);
        if (reason !== undefined) invalid.push(`the ${what} of ${step.kind} ${step.name} at ${step.key} (${reason})`);
      }
    }
  }
  if (invalid.length > 0) {
    throw new ReplayError(
      "REPLAY_STATE_INVALID",
      `Run ${runId}'s recording holds states that are not JSON: ${listed(invalid)}. @tracewright/instrument records every state as canonical JSON; these were written by other code, or damaged on the way, so replay can neither serve nor compare them.`,
    );
  }
  if (missing.length > 0) {
    throw new ReplayError(
      "REPLAY_PAYLOAD_MISSING",
      `Run ${runId}'s recording lacks states sent by reference: ${listed(missing)}. The store never received those payloads (check the exporter's stats, droppedPayloads and failedPayloads), so replay cannot serve or compare them.`,
    );
  }
}

/** Loads a run from a store as a recording, or says why it cannot. */
export async function loadRecording(store: TraceStore, runId: string): Promise<Recording> {
  const run = await store.getRun(runId);
  if (run === undefined) {
    // A store with no runs at all is most often the wrong store: openSqliteStore() without
    // TRACEWRIGHT_DB creates an empty one in the current directory, not the collector's. The
    // look is a hint only: a store that cannot list (a CloudWatch permission) still gets NO_RUN.
    const empty = await store.listRuns({ limit: 1 }).then((page) => page.runs.length === 0, () => false);
    const hint = empty
      ? "The store holds no runs at all: is it the one the collector writes to? openSqliteStore() opens TRACEWRIGHT_DB, else .tracewright/traces.db in the current directory."
      : "List runs with: npx tracewright runs list";
    throw new ReplayError("REPLAY_NO_RUN", `No run ${runId} in the store. ${hint}`);
  }
  if (run.status === "running") {
    throw new ReplayError(
      "REPLAY_RUN_INCOMPLETE",
      `Run ${runId} has not ended (its root span has not arrived), so its recording is incomplete. Replay it once it has ended. A run whose process died (a Lambda timeout, a crash) never ends: its steps that did end are in npx tracewright runs show ${runId}, but it cannot be replayed, since what was open when it died was never recorded.`,
    );
  }
  return toRecording(run, await store.getRunSpans(runId));
}

/**
 * The keys of the steps recorded inside a boundary step (a tool whose function called a model,
 * an agent used as a tool): served, the boundary's function does not run, so nothing inside it
 * is expected — not as a call, not as a result to use, not in the trace compared. A message
 * step is the exception: the runs under it are its consumers, which the transport delivers
 * again on replay (docs/replay.md, Choreographies), not work its send did. Steps come in
 * canonical order, parents first.
 */
export function insideBoundaries(steps: readonly RecordedStep[]): ReadonlySet<string> {
  let inside = insideOf.get(steps);
  if (inside !== undefined) return inside;
  const found = new Set<string>();
  const boundaries = new Set<string>();
  for (const step of steps) {
    if (step.parentKey !== null && (boundaries.has(step.parentKey) || found.has(step.parentKey))) found.add(step.key);
    if (servedWhole(step.kind)) boundaries.add(step.key);
  }
  insideOf.set(steps, (inside = found));
  return inside;
}

/** {@link insideBoundaries} of a recording's steps, found once (the engine and the cassette both ask). */
const insideOf = new WeakMap<readonly RecordedStep[], ReadonlySet<string>>();

/**
 * Whether a step is a message's consumer: an agent step under a message step (the runs a
 * transport delivered the message to), an invocation of its own rather than the sender's work.
 */
export function isConsumer(step: RecordedStep, byKey: ReadonlyMap<string, RecordedStep>): boolean {
  return step.kind === StepKind.AGENT && step.parentKey !== null && byKey.get(step.parentKey)?.kind === StepKind.MESSAGE;
}

/** A boundary whose recorded result replay serves without running its function: any but a message (see {@link insideBoundaries}). */
export function servedWhole(kind: string): boolean {
  return BOUNDARY_KINDS.has(kind) && kind !== StepKind.MESSAGE;
}

/** The parent key of a step key (`a/b#0/c#1` → `a/b#0`), null for a root. */
export function parentKeyOf(key: string): string | null {
  const slash = key.lastIndexOf("/");
  return slash === -1 ? null : key.slice(0, slash);
}

/**
 * The recording of one agent invocation inside a run (a consumer handling one message), as if it
 * were a run of its own: the subtree under `key` but the consumers of what it published, its keys
 * rebased so that the invocation's root is keyed by its agent's name, as a fresh `run()` of that
 * agent keys it.
 */
export function subRecording(recording: Recording, key: string): Recording {
  const root = recording.byKey.get(key);
  if (root === undefined) throw new ReplayError("REPLAY_NO_STEP", `Run ${recording.run.runId} has no step ${key}.`);
  if (root.kind !== StepKind.AGENT) throw new ReplayError("REPLAY_NOT_AN_INVOCATION", `Step ${key} is a ${root.kind} step; replaying one invocation alone takes an agent step (a run inside the run, e.g. a consumer's).`);
  const rebase = (k: string): string => stepKeySegment(root.name) + k.slice(key.length);
  // The invocation's own steps: not the consumers of the messages it published (agent steps under
  // its message steps), which the handler replayed alone never delivers to — each is an
  // invocation of its own, replayed with its own key. Parents come first, so one pass finds them.
  const downstream = new Set<string>();
  const own = recording.steps.filter((s) => {
    if (s.key !== key && !s.key.startsWith(`${key}/`)) return false;
    if (s.key !== key && s.parentKey !== null && (downstream.has(s.parentKey) || isConsumer(s, recording.byKey))) {
      downstream.add(s.key);
      return false;
    }
    return true;
  });
  const steps = own
    .map((s, order) => ({ ...s, key: rebase(s.key), parentKey: s.key === key || s.parentKey === null ? null : rebase(s.parentKey), order }));
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const childrenOf = new Map<string, RecordedStep[]>();
  for (const step of steps) {
    if (step.parentKey === null) continue;
    let list = childrenOf.get(step.parentKey);
    if (list === undefined) childrenOf.set(step.parentKey, (list = []));
    list.push(step);
  }
  for (const list of childrenOf.values()) list.sort((a, b) => a.seq - b.seq);
  const newRoot = steps[0] as RecordedStep;
  return { run: recording.run, root: newRoot, inputJson: newRoot.inputJson ?? "null", steps, byKey, childrenOf };
}
