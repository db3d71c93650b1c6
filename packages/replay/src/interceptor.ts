import type { StepCall, StepInterceptor } from "@tracewright/instrument";
import { describeError, hashJson, redactText, revive, serialize } from "@tracewright/instrument";
import { langchainSerialized, sameJson, sortedJson } from "@tracewright/instrument/shared";
import { OpenInference, StepKind, stepKeyParts, Tracewright } from "@tracewright/instrument/conventions";
import { ReplayDivergenceError, ReplayError } from "./errors.js";
import { jsonDiff, mergePatch } from "./json-patch.js";
import { BOUNDARY_KINDS, insideBoundaries, isConsumer, parentKeyOf } from "./recording.js";
import type { RecordedStep, Recording } from "./recording.js";
import type { Divergence, DivergenceKind, ReplayMode } from "./types.js";

export interface CassetteOptions {
  mode: ReplayMode;
  /** What verify-fix does after the first divergence: go live (default) or stop the run. */
  onDivergence?: "live" | "stop";
  /** Fork: the step key from which calls go live. */
  from?: string;
  /** Fork: the state at `from` — a node's input, or a boundary's output — replaced whole… */
  state?: unknown;
  /** …or merged (RFC 7386 JSON Merge Patch) into the recorded one. */
  patch?: unknown;
  /** Fork: run tools marked side-effecting live after `from`. Default: false. */
  allowSideEffects?: boolean;
}

/** Where a call was expected by the recording but another came: settled when the run ends. */
interface PendingSkip {
  divergence: Divergence;
  expected: RecordedStep;
}

function describe(step: { kind: string; name: string; key: string }): string {
  return `${step.kind} ${step.name} at ${step.key}`;
}

function nameOf(key: string): { kind: string; name: string } {
  const { kind, name } = stepKeyParts(key);
  return { kind: kind ?? StepKind.AGENT, name };
}

/**
 * `Name: message`, the message redacted as the instrumentation redacts a recorded error's
 * (`exception.message`): an error the agent's own code throws again on replay is compared with
 * the recorded one as the recording saw it, and the report never shows what the recording masked.
 */
export function errorText(name: unknown, message: unknown): string {
  return `${String(name)}: ${redactText(String(message))}`;
}

/** A binary min-heap of items by a number: a result queue that stays O(log n) a step at 20,000 concurrent calls. */
class MinQueue<T> {
  private readonly heap: { at: number; item: T }[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const heap = this.heap;
    heap.push({ at, item });
    let i = heap.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if ((heap[up] as { at: number }).at <= at) break;
      [heap[i], heap[up]] = [heap[up] as (typeof heap)[number], heap[i] as (typeof heap)[number]];
      i = up;
    }
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top?.item;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && (heap[l] as { at: number }).at < (heap[min] as { at: number }).at) min = l;
      if (r < heap.length && (heap[r] as { at: number }).at < (heap[min] as { at: number }).at) min = r;
      if (min === i) break;
      [heap[i], heap[min]] = [heap[min] as (typeof heap)[number], heap[i] as (typeof heap)[number]];
      i = min;
    }
    return top.item;
  }
}

/**
 * The cassette: recorded results indexed by step key, each served at most once, matched by key
 * (so concurrent siblings match whatever order they finish in) and checked against the
 * recorded call order and input hash. It is the replay's `StepInterceptor`.
 *
 * Classification of a call the recording did not expect at its position (under the same
 * parent, by call order):
 * - its key is recorded elsewhere → served; if the skipped recorded call is made later, the
 *   calls were reordered (`call_replaced`, `reordered: true`), else it was removed (`missing_call`);
 * - its key is not recorded, and the parent recorded calls of the same kind and name → an
 *   extra call (`unexpected_call`); otherwise another call took the recorded one's place
 *   (`call_replaced`);
 * - same key, other input hash → `input_changed`, with the JSON Patch of the inputs.
 * Node and agent steps run live; their outputs are compared (`state_mismatch`) and their
 * errors (`error_mismatch`). Recorded calls never made are `missing_call` at the end.
 */
export class Cassette implements StepInterceptor {
  readonly divergences: Divergence[] = [];
  /** Served results that were class instances when recorded and come back as their JSON (a LangChain message), their calls given no `revive`: by key, the class. */
  readonly servedAsJson = new Map<string, string>();
  hits = 0;
  live = 0;
  private readonly consumed = new Set<string>();
  private readonly positions = new Map<string, number>();
  private readonly pending: PendingSkip[] = [];
  /** Verify-fix after the first divergence, and fork after `from`: every call live. */
  private allLive = false;
  /** The run was stopped at a divergence: later effects of that stop are not divergences. */
  private stopped = false;
  private forkReached = false;
  /** Served results waiting for their turn (see {@link inEndOrder}), by recorded end order. */
  private readonly waiting = new MinQueue<() => void>();
  private releasing = false;
  /** Steps intercepted and not yet settled; told when none is left. */
  private open = 0;
  private readonly idle: (() => void)[] = [];
  /** By parent: whether the recording made its calls there concurrently (see {@link concurrentAt}). */
  private readonly concurrent = new Map<string, boolean>();
  /** By key: a recorded step's input with its keys sorted (see {@link sortedInputOf}). */
  private readonly sortedInputs = new Map<string, string | undefined>();

  constructor(
    private readonly recording: Recording,
    private readonly options: CassetteOptions,
  ) {}

  intercept<T>(call: StepCall, live: (input?: unknown) => Promise<T>): Promise<T> {
    this.open++;
    let settled: Promise<T>;
    try {
      settled = this.decide<Promise<T>>(
        call,
        (input) => (input === undefined ? live() : live(input.value)),
        (value, step) => this.inEndOrder(step, () => value as T),
        (error, step) =>
          this.inEndOrder(step, () => {
            throw error;
          }),
      );
    } catch (error) {
      this.closed();
      throw error;
    }
    return settled.finally(() => this.closed());
  }

  private closed(): void {
    if (--this.open === 0) for (const tell of this.idle.splice(0)) tell();
  }

  /**
   * Waits, up to `timeoutMs`, for the steps still open when the run's root ended — a sibling of a
   * `Promise.all` that failed fast, a call not awaited — to settle and end their spans, as they
   * did in the recorded run (which recorded them ending after its root). Served ones settle as
   * their turn comes; a live one that outlasts the wait is left out of the replay's run. Resolves
   * with how many are still open.
   */
  async settle(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      // One turn of the event loop first: a settled step ends its span in the continuation after it.
      await new Promise((resolve) => setImmediate(resolve));
      const left = deadline - performance.now();
      if (this.open === 0 || left <= 0) return this.open;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  interceptSync<T>(call: StepCall, live: () => T): T {
    return this.decide<T>(
      call,
      () => live(),
      (value) => value as T,
      (error) => {
        throw error;
      },
    );
  }

  /**
   * Settles a served result when its turn comes in the recorded end order. A key is given when
   * a call starts, and under concurrency a call starts when another ends (a chain of calls per
   * item of a `Promise.all`, a worker pool): served at once, the results would end in call order,
   * later calls would start in another order and take other keys than recorded. So results wait
   * in a queue; one is handed back per turn of the event loop (`setImmediate`, after the
   * microtasks its continuation runs in), the one that ended first in the recording first, so
   * every continuation reaches its next call before the next result is handed back — as it did.
   */
  private inEndOrder<T>(step: RecordedStep | undefined, settle: () => T): Promise<T> {
    // Not from the recording (a divergence refused): nothing to keep in order.
    if (step === undefined) return new Promise<T>((resolve) => resolve(settle()));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(step.endOrder, () => {
        try {
          resolve(settle());
        } catch (error) {
          reject(error as Error);
        }
      });
      if (!this.releasing) {
        this.releasing = true;
        setImmediate(this.releaseNext);
      }
    });
  }

  private readonly releaseNext = (): void => {
    this.waiting.pop()?.();
    if (this.waiting.size > 0) setImmediate(this.releaseNext);
    else this.releasing = false;
  };

  /** The one decision, written once for both the async and the sync path. `step`: the recorded step a result is served from. */
  private decide<T>(call: StepCall, goLive: (input?: { value: unknown }) => T, serve: (value: unknown, step?: RecordedStep) => T, fail: (error: unknown, step?: RecordedStep) => T): T {
    const boundary = BOUNDARY_KINDS.has(call.kind);
    // The call's place among its parent's calls is that of the key it was given; the recorded
    // call it stands for may have another (recordedFor).
    const given = call.key;
    const expected = this.expectedAt(given);
    const recorded = this.recordedFor(call, boundary);

    if (this.options.mode === "fork" && !this.forkReached && call.key === this.options.from) {
      this.forkReached = true;
      this.allLive = true;
      if (recorded !== undefined) this.consumed.add(recorded.key);
      if (!boundary) {
        const base = recorded?.inputJson === undefined ? call.input : revive(recorded.inputJson);
        const input = this.patched(base);
        // The state the step runs with, recorded as its input: the step started with the input
        // its caller passed, which the fork replaces (the recorded one, patched).
        const inputJson = serialize(input);
        call.annotate({ [OpenInference.INPUT_VALUE]: inputJson, [Tracewright.INPUT_HASH]: hashJson(inputJson), [Tracewright.REPLAY_FORK_POINT]: true });
        return goLive({ value: input });
      }
      call.annotate({ [Tracewright.REPLAY_SERVED]: true, [Tracewright.REPLAY_FORK_POINT]: true });
      this.hits++;
      return serve(this.rebuilt(call, this.patched(recorded?.outputJson === undefined ? null : revive(recorded.outputJson))), recorded);
    }

    if (this.allLive) {
      if (boundary) {
        // Declared by the call itself (a tool the recorded run never reached) or by its recording.
        if (this.options.mode === "fork" && (call.sideEffects || recorded?.sideEffects === true) && this.options.allowSideEffects !== true) {
          return fail(new ReplayDivergenceError(`Fork would call the side-effecting tool ${call.name} (${call.key}) live. Pass allowSideEffects (--allow-side-effects) to let it run.`));
        }
        this.live++;
      }
      return goLive();
    }

    if (recorded === undefined) {
      if (!boundary) {
        // New agent code between boundaries: it runs, and the run is flagged.
        this.diverge("unexpected_call", call.key, { actual: this.actualOf(call), message: `this run entered ${describe(this.actualOf(call))}, which the recording does not have` });
        return goLive();
      }
      const sameCallRecorded = (this.recording.childrenOf.get(parentKeyOf(call.key) ?? "") ?? []).some((s) => s.kind === call.kind && s.name === call.name);
      const replaced = expected !== undefined && !sameCallRecorded;
      const type: DivergenceKind = replaced ? "call_replaced" : "unexpected_call";
      const message = replaced
        ? `recorded ${describe(expected)}; this run called ${call.kind} ${call.name}`
        : `this run called ${call.kind} ${call.name} at ${call.key}, which the recording does not have`;
      return this.divergeAtBoundary(type, replaced ? expected.key : call.key, { ...(replaced ? { expected: this.expectedOf(expected) } : {}), actual: this.actualOf(call), message }, goLive, fail);
    }

    if (expected !== undefined && expected.key !== given && !this.consumed.has(expected.key)) {
      const divergence = this.diverge("missing_call", expected.key, {
        expected: this.expectedOf(expected),
        actual: this.actualOf(call),
        message: `recorded ${describe(expected)} here; this run called ${call.kind} ${call.name} (${call.key}) first`,
      });
      if (divergence !== undefined) this.pending.push({ divergence, expected });
    }
    this.consumed.add(recorded.key);

    if (!boundary) return goLive();

    if (!sameInput(recorded, call)) {
      const before = recorded.inputJson === undefined ? null : (JSON.parse(recorded.inputJson) as unknown);
      const after = JSON.parse(call.inputJson) as unknown;
      return this.divergeAtBoundary(
        "input_changed",
        call.key,
        { expected: this.expectedOf(recorded), actual: this.actualOf(call), inputDiff: jsonDiff(before, after), message: `${describe(recorded)} was called with a different input` },
        goLive,
        fail,
      );
    }

    // A human step that interrupted its graph recorded no answer: asked again, it interrupts again.
    if (recorded.suspended) return goLive();
    this.hits++;
    call.annotate({ [Tracewright.REPLAY_SERVED]: true });
    if (recorded.outputJson === undefined) return fail(this.recordedError(recorded), recorded);
    return serve(this.rebuilt(call, revive(recorded.outputJson)), recorded);
  }

  /**
   * A served result, rebuilt by the call's own `revive` (a class instance from its recorded
   * fields) when it has one; without one, a LangChain object's JSON is noted (servedAsJson).
   */
  private rebuilt(call: StepCall, value: unknown): unknown {
    if (call.revive === undefined) {
      const lc = langchainSerialized(value);
      if (lc !== undefined) this.servedAsJson.set(call.key, lc.className);
      return value;
    }
    try {
      return call.revive(value);
    } catch (cause) {
      throw new ReplayError("REPLAY_REVIVE_FAILED", `The revive option of ${call.kind} ${call.name} (${call.key}) threw on its recorded result: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  completed(call: StepCall, result: { outputJson?: string; error?: unknown }): void {
    if (BOUNDARY_KINDS.has(call.kind) || this.stopped || this.allLive) return;
    const recorded = this.recording.byKey.get(call.key);
    if (recorded === undefined) return;
    const recordedFailed = recorded.outputJson === undefined && recorded.error !== undefined;
    const failed = result.error !== undefined;
    if (recordedFailed || failed) {
      const expectedError = recordedFailed ? errorText(recorded.error?.type, recorded.error?.message) : null;
      const actual = failed ? describeError(result.error) : undefined;
      const actualError = actual === undefined ? null : errorText(actual.type, actual.message);
      if (expectedError !== actualError) {
        this.diverge("error_mismatch", call.key, { expected: this.expectedOf(recorded), actual: this.actualOf(call), expectedError, actualError, message: `${describe(recorded)} ${expectedError === null ? "succeeded" : `failed with ${expectedError}`} when recorded; this run ${actualError === null ? "succeeded" : `failed with ${actualError}`}` });
      }
      return;
    }
    if (result.outputJson !== undefined && recorded.outputJson !== undefined && !sameJson(result.outputJson, recorded.outputJson)) {
      this.diverge("state_mismatch", call.key, {
        expected: this.expectedOf(recorded),
        actual: this.actualOf(call),
        outputDiff: jsonDiff(JSON.parse(recorded.outputJson) as unknown, JSON.parse(result.outputJson) as unknown),
        message: `${describe(recorded)} returned a different state`,
      });
    }
  }

  /** Settles what only the end of the run can tell; returns the recorded boundary keys never served. */
  finish(): string[] {
    for (const skip of this.pending) {
      if (this.consumed.has(skip.expected.key)) {
        skip.divergence.type = "call_replaced";
        skip.divergence.reordered = true;
        skip.divergence.message = `the calls were reordered: ${skip.divergence.message}`;
      }
    }
    // A step inside a boundary is the boundary's business: served, it was never expected; live, it ran live.
    const inside = insideBoundaries(this.recording.steps);
    const unused = this.recording.steps.filter((s) => BOUNDARY_KINDS.has(s.kind) && !this.consumed.has(s.key) && s.kind !== StepKind.AGENT && !inside.has(s.key));
    const from = this.options.from;
    if (this.options.mode === "fork" && !this.forkReached && from !== undefined) {
      // The fork never started: say so where it was to start, or nothing tells the patch went nowhere.
      const note = `the fork point ${from} was never reached, so nothing was patched and nothing went live`;
      const atFrom = this.divergences.find((d) => d.key === from);
      const step = this.recording.byKey.get(from);
      if (atFrom !== undefined) atFrom.message = `${atFrom.message}; ${note}`;
      else if (step !== undefined) this.divergences.push({ type: "missing_call", key: from, expected: this.expectedOf(step), message: `recorded ${describe(step)}; this run never called it: ${note}` });
    }
    if (!this.stopped && !this.allLive) {
      const reported = new Set(this.divergences.map((d) => d.key));
      // Recorded calls never made: the boundaries whose results went unused, and the nodes and
      // agents that never ran (a node the new code skips, with nothing after it to notice) — each
      // where its parent ran; under a step that did not run, that step is the divergence.
      const root = this.recording.root.key;
      const unusedKeys = new Set(unused.map((s) => s.key));
      // Not the consumers of a message (agent steps under a message step): whether they run again
      // is the transport's (the in-process bus delivers again; a queue in another process does not).
      const neverRan = this.recording.steps.filter((s) => !this.consumed.has(s.key) && s.key !== root && !inside.has(s.key) && (unusedKeys.has(s.key) || (!BOUNDARY_KINDS.has(s.kind) && !isConsumer(s, this.recording.byKey))));
      for (const step of neverRan) {
        if (reported.has(step.key) || !this.parentRan(step)) continue;
        this.divergences.push({ type: "missing_call", key: step.key, expected: this.expectedOf(step), message: `recorded ${describe(step)}; this run never called it` });
      }
    }
    return unused.map((s) => s.key);
  }

  /**
   * The recorded step a call stands for: the one at its key — or, where the recording made its
   * calls under this parent concurrently (branches of a `Promise.all`), the first recorded call
   * of this kind and name not taken yet whose input is this call's. A key is given when a call
   * starts, and a branch that waits on something of its own between two calls (a retry's
   * backoff, a file read) reaches its next call sooner or later than recorded, whatever order
   * served results are handed back in: it takes a sibling branch's key. Matched by input instead
   * — the first recorded call of an input first, as a branch makes a first attempt before its
   * retry — it gets the answer it got then, and takes that call's key and order (for a node,
   * before its children take keys under it), so the replay's trace is the recording's. Calls
   * the recording made one after another keep their keys: a change of their order is the
   * agent's, and a divergence.
   */
  private recordedFor(call: StepCall, boundary: boolean): RecordedStep | undefined {
    const atKey = this.recording.byKey.get(call.key);
    // Not at a fork point either: the fork starts at the call named, whatever its input.
    if ((!boundary && call.kind !== StepKind.NODE) || atKey === undefined || this.allLive || (this.options.mode === "fork" && call.key === this.options.from)) return atKey;
    const parent = parentKeyOf(call.key) ?? "";
    if (!this.concurrentAt(parent)) return atKey;
    const open = (this.recording.childrenOf.get(parent) ?? []).filter((s) => s.kind === call.kind && s.name === call.name && !this.consumed.has(s.key));
    // The call's input with its keys sorted, made once, against each recorded one's made once.
    let mine: string | undefined | null = null;
    const same = (s: RecordedStep): boolean => {
      if (s.inputHash === undefined || s.inputHash === call.inputHash) return true;
      if (mine === null) mine = sortedInput(call.inputJson);
      return mine !== undefined && mine === this.sortedInputOf(s);
    };
    // Of that input, else — the call at its key taken already, by a call that stood for it — the
    // first recorded call not taken, whose input is then compared: never one served twice.
    const first = open.find(same) ?? (this.consumed.has(atKey.key) ? open[0] : undefined);
    if (first === undefined) return this.consumed.has(atKey.key) ? undefined : atKey;
    if (first.key !== call.key) call.rekey(first.key, first.seqRecorded ? first.seq : undefined);
    return first;
  }

  /** A recorded step's input with its keys sorted, made once (see {@link sortedInput}). */
  private sortedInputOf(step: RecordedStep): string | undefined {
    if (!this.sortedInputs.has(step.key)) this.sortedInputs.set(step.key, step.inputJson === undefined ? undefined : sortedInput(step.inputJson));
    return this.sortedInputs.get(step.key);
  }

  /**
   * Whether the recording made its calls under this parent concurrently: one started at least a
   * millisecond before another had ended. (A span's start is read from the wall clock, to the
   * millisecond, its end from it plus a finer duration: two calls made one after another within
   * a millisecond look overlapping by less than that.)
   */
  private concurrentAt(parent: string): boolean {
    let overlapping = this.concurrent.get(parent);
    if (overlapping === undefined) {
      const calls = [...(this.recording.childrenOf.get(parent) ?? [])].sort((a, b) => a.startUs - b.startUs);
      let end = Number.NEGATIVE_INFINITY;
      overlapping = false;
      for (const c of calls) {
        if (c.startUs + 1000 <= end) {
          overlapping = true;
          break;
        }
        end = Math.max(end, c.endUs);
      }
      this.concurrent.set(parent, overlapping);
    }
    return overlapping;
  }

  /** Whether the step's parent ran in this replay (a missing call under a skipped node is that node's divergence, not its own). */
  private parentRan(step: RecordedStep): boolean {
    return step.parentKey === null || this.consumed.has(step.parentKey) || step.parentKey === this.recording.root.key;
  }

  private expectedAt(key: string): RecordedStep | undefined {
    const parent = parentKeyOf(key);
    if (parent === null) return undefined;
    const position = this.positions.get(parent) ?? 0;
    this.positions.set(parent, position + 1);
    return this.recording.childrenOf.get(parent)?.[position];
  }

  private patched(base: unknown): unknown {
    if (this.options.state !== undefined) return this.options.state;
    if (this.options.patch !== undefined) return mergePatch(base, this.options.patch);
    return base;
  }

  private recordedError(recorded: RecordedStep): unknown {
    if (recorded.errorJson !== undefined) return revive(recorded.errorJson);
    const error = new Error(recorded.error?.message ?? "recorded error");
    error.name = recorded.error?.type ?? "Error";
    return error;
  }

  private expectedOf(step: RecordedStep): Divergence["expected"] {
    return { key: step.key, kind: step.kind, name: step.name, ...(step.inputHash === undefined ? {} : { inputHash: step.inputHash }) };
  }

  private actualOf(call: StepCall): NonNullable<Divergence["actual"]> {
    const { kind, name } = nameOf(call.key);
    return { key: call.key, kind: call.kind ?? kind, name: call.name ?? name, inputHash: call.inputHash };
  }

  private diverge(type: DivergenceKind, key: string, details: Omit<Divergence, "type" | "key">): Divergence | undefined {
    if (this.stopped) return undefined;
    const divergence: Divergence = { type, key, ...details };
    this.divergences.push(divergence);
    return divergence;
  }

  /** A boundary the recording cannot serve: stop the run, or go live from here (verify-fix). */
  private divergeAtBoundary<T>(type: DivergenceKind, key: string, details: Omit<Divergence, "type" | "key">, goLive: () => T, fail: (error: unknown) => T): T {
    const divergence = this.diverge(type, key, details);
    const canGoLive = this.options.mode === "verify-fix" && (this.options.onDivergence ?? "live") === "live";
    if (canGoLive) {
      this.allLive = true;
      this.live++;
      return goLive();
    }
    this.stopped = true;
    return fail(new ReplayDivergenceError(`Replay diverged (${type}): ${divergence?.message ?? details.message}`));
  }
}

/** Whether a call's input is a recorded step's: the same hash, or the same input built in another key order (another text and hash). */
function sameInput(recorded: RecordedStep, call: StepCall): boolean {
  return recorded.inputHash === undefined || recorded.inputHash === call.inputHash || (recorded.inputJson !== undefined && sameJson(recorded.inputJson, call.inputJson));
}

/** An input's JSON with its keys sorted, prefixed by the text's length (as `sameJson` compares); undefined when it is none. */
function sortedInput(json: string): string | undefined {
  const sorted = sortedJson(json);
  return sorted === undefined ? undefined : `${json.length}:${sorted}`;
}

