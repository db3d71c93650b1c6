import nodeCrypto, { randomBytes, randomUUID } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import type { Attributes, Context, HrTime, Link, Span, SpanOptions, Tracer } from "@opentelemetry/api";
import { SpanKind, SpanStatusCode, context as otelContext, createContextKey, isSpanContextValid, trace } from "@opentelemetry/api";
import {
  Exception,
  GenAI,
  MAX_ANCESTRY,
  MIME_JSON,
  OpenInference,
  OpenInferenceKind,
  Operation,
  parseStepAncestry,
  RunStart,
  stepOrder,
  StepKind,
  stepKeyName,
  stepKeySegment,
  Tracewright,
} from "./conventions.js";
import { ensureContextManager } from "./context.js";
import { TracewrightError } from "./errors.js";
import { inlineOrRef, overInlineLimit } from "./offload.js";
import type { PayloadSink } from "./offload.js";
import { safely } from "./safely.js";
import { hashJson } from "./hash.js";
import { redactText, serialize } from "./serialize.js";

/** A replayable boundary about to be crossed: what an interceptor sees. */
export interface StepCall {
  key: string;
  kind: StepKind;
  name: string;
  /** The input as the agent passed it. */
  input: unknown;
  /** Canonical JSON of the input (what `input.value` records). */
  inputJson: string;
  /** sha256 of {@link inputJson}: the `tracewright.input.hash` readers derive from `input.value`. */
  inputHash: string;
  /** A tool declared as changing the world (`tool(…, { sideEffects: true })`): a fork runs it live only when allowed. */
  sideEffects: boolean;
  /** Adds attributes to the step's span (e.g. replay marking a result as served). */
  annotate(attributes: Attributes): void;
  /** Rebuilds a served result from its recorded JSON, revived (`ToolOptions.revive`). */
  revive?: (recorded: unknown) => unknown;
  /**
   * Gives the step another key (and call order, `tracewright.step.seq`) before its work runs:
   * replay serving it the recorded call it stands for, which had that key. Its children's keys
   * extend the new one.
   */
  rekey(key: string, seq?: number): void;
}

/**
 * Decides, for each step of a run, whether its result comes from the live function or from
 * somewhere else (a recording). Replay installs one through {@link RunOptions.interceptor}.
 * `intercept` is called for every step, nodes and agents included, so an interceptor sees the
 * whole sequence; it returns `live()` for what it does not serve.
 */
export interface StepInterceptor {
  /**
   * `live(input)` runs the step's own function; with an argument, on that input instead of the
   * recorded one (fork mode patches a node's state this way).
   */
  intercept<T>(call: StepCall, live: (input?: unknown) => Promise<T>): Promise<T>;
  /** For synchronous boundaries: clock, random and uuid reads. */
  interceptSync<T>(call: StepCall, live: () => T): T;
  /** Told when a step ends, with its serialized output or its error. */
  completed?(call: StepCall, result: { outputJson?: string; error?: unknown }): void;
}

export interface RunOptions {
  /** Extra span attributes on the run's root span. */
  attributes?: Attributes;
  /** Span links on the root (e.g. to the run a replay replays, or a message's producer). */
  links?: Link[];
  /** The root span's kind: `CONSUMER` for a run started by a message. Default: `INTERNAL`. */
  spanKind?: SpanKind;
  /** Replay's hook: see {@link StepInterceptor}. */
  interceptor?: StepInterceptor;
  /**
   * Route `Date.now()`, `new Date()`, `Math.random()` and `crypto.randomUUID()` (the global's and
   * `node:crypto`'s) called anywhere inside this run (its own code and libraries it calls) to
   * `ctx.now()`, `ctx.random()` and `ctx.uuid()`, so they are recorded and replayed. Scoped to
   * the run's async context: other runs and the rest of the process see the real functions.
   * Default: false.
   */
  deterministic?: boolean;
  /**
   * The tracer for this run's spans, instead of the one `init()` set up (replay records its
   * runs through its own provider, without touching the process's other runs).
   */
  tracer?: Tracer;
}

/** What {@link runWithResult} resolves to: the run's id and how it ended; never a rejection. */
export interface RunResult<O> {
  runId: string;
  traceId: string;
  status: "ok" | "error";
  output?: O;
  error?: unknown;
}

/** The handle a run's function receives. */
export interface RunContext<I> {
  /** The run's id (`tracewright.run.id`): the root span's trace id. */
  readonly runId: string;
  /** The run's input. */
  readonly state: I;
  /** Milliseconds since the epoch; a recorded `clock` step, served from the recording on replay. */
  now(): number;
  /** A number in [0, 1); a recorded `random` step. */
  random(): number;
  /** A random UUID; a recorded `uuid` step. */
  uuid(): string;
}

interface RunFrame {
  runId: string;
  interceptor: StepInterceptor | undefined;
  tracer: Tracer | undefined;
  /** The clock and random reads inside the run are recorded steps ({@link installRouting}). */
  deterministic?: boolean;
  /**
   * How many of this process's local roots of the run are running on this frame (a fresh root, a
   * consumer continuing it, one joining it in-process): a read when none is (a timer a run left
   * behind) is no step of it.
   */
  roots: number;
}

interface StepFrame {
  run: RunFrame;
  key: string;
  /** Per-parent, per-(kind:name) occurrence counters: stable step keys under concurrency. Made by the first child (a leaf step never needs one). */
  counters: Map<string, number> | undefined;
  /** How many children this step has started: the next child's `tracewright.step.seq`. */
  children: number;
  /** This step's own `tracewright.step.seq` (0 for a root). */
  seq: number;
  /** The step's span: a child whose parent span is another is under other instrumentation. */
  span: Span;
  /**
   * The step's `tracewright.step.ancestry`, "" when it starts a chain (a local root, or a step
   * whose own is unknown); its children's, built when the first child asks (leaf steps never do);
   * and how many ancestors the first holds.
   */
  ancestry: string;
  lineage?: string;
  depth: number;
}

const FRAME = createContextKey("tracewright.step");
const CARRIED = createContextKey("tracewright.carried-run");

/** The key `trace.setSpan` stores a span under: `createContextKey` is `Symbol.for`, so this is the API's own. */
const SPAN_KEY = createContextKey("OpenTelemetry Context Key SPAN");

/**
 * A step's context: its parent's, with the step's span and frame. The API's own context would
 * copy the parent's whole map twice for that (`trace.setSpan(...).setValue(...)`), a twentieth of a
 * small step's cost; this holds the two values and reads any other key from the context the
 * outermost step of a nest was started in (`base`): steps only ever set these two keys, so every
 * other key has the value it had there. A step's context keeps no ancestor step alive (a socket
 * opened in a step keeps its context as long as it lives, as with the API's context). Setting or
 * deleting a key on it makes the API's context it stands for.
 */
class StepContext implements Context {
  private constructor(
    private readonly base: Context,
    private readonly span: Span,
    private readonly frame: StepFrame,
  ) {}

  private materialized: Context | undefined;

  static of(parent: Context, span: Span, frame: StepFrame): Context {
    if (parent instanceof StepContext) return new StepContext(parent.base, span, frame);
    // Under a key set on a step's context (other instrumentation's, between two steps), the API's
    // context it made still holds that step's span and frame, shadowed here: left out of the base,
    // so that they are not kept alive.
    const base = parent.getValue(FRAME) === undefined ? parent : parent.deleteValue(FRAME).deleteValue(SPAN_KEY);
    return new StepContext(base, span, frame);
  }

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : key === FRAME ? this.frame : this.base.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.plain().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.plain().deleteValue(key);
  }

  /** The API's context this one stands for, made once: other instrumentation may set a key on it for each span it starts. */
  private plain(): Context {
    return (this.materialized ??= trace.setSpan(this.base, this.span).setValue(FRAME, this.frame));
  }
}

/**
 * A run carried across a hop (a queue, a bus, an HTTP call): what a consumer needs to continue
 * the producer's run rather than start a new one. See `propagation.ts`.
 */
export interface CarriedRun {
  runId: string;
  /** The producer step's key: the consumer's root step is keyed under it. */
  parentKey?: string;
  /** Delivery attempt (0 for the first), so a redelivered message gets its own key. */
  attempt?: number;
  /** The producer step's chain, itself last: the consumer root's `tracewright.step.ancestry`. */
  ancestry?: string;
}

/** A context in which `run()` continues the carried run. */
export function withCarriedRun(ctx: Context, carried: CarriedRun): Context {
  return ctx.setValue(CARRIED, carried);
}

/**
 * The `tracewright.step.ancestry` a step started in this async context would record — the active
 * step's chain, itself last — to carry along a message; undefined outside a step, under a span of
 * other instrumentation, or past {@link MAX_ANCESTRY}.
 */
export function currentStepLineage(): string | undefined {
  const ctx = otelContext.active();
  const frame = currentFrame(ctx);
  return frame === undefined || frame.key === "" ? undefined : childAncestry(frame, ctx);
}

/** The step key of the step active in this async context, if any. */
export function currentStepKey(): string | undefined {
  const key = currentFrame()?.key;
  return key === "" ? undefined : key;
}

/**
 * Runs open in this process, by run id: a consumer continuing a carried run in the same process
 * (the in-process bus, a replay) shares the run's interceptor and tracer, so replay serves its
 * steps too.
 */
const openRuns = new Map<string, RunFrame>();
const INSTRUMENTATION = { name: "@tracewright/instrument", version: "0.1.0" };

let configuredTracer: Tracer | undefined;
let configuredPayloads: PayloadSink | undefined;

/**
 * Used by `init()`: the tracer wrappers use instead of the global one, and where states too
 * large to ride in a span are sent (none: every state rides inline, whole). Its sampler decides
 * by trace id alone (init's are), so a step's attributes are set on its span after the start.
 */
export function setTracer(tracer: Tracer | undefined, payloads?: PayloadSink): void {
  configuredTracer = tracer;
  configuredPayloads = tracer === undefined ? undefined : payloads;
}

/**
 * Used by a `Tracing` handle's shutdown: unsets `tracer` only while it is the configured one, so
 * shutting down an older handle (a module initialised twice, the old handle shut down after) does
 * not silence the `init()` that replaced it.
 */
export function unsetTracer(tracer: Tracer): void {
  if (configuredTracer === tracer) setTracer(undefined);
}

/**
 * Where a run's oversized states go: init's payload sink for runs on init's tracer; none for a
 * run on a tracer of its own (replay's, which writes its spans straight into a store, whole).
 */
function payloadsOf(run: RunFrame): PayloadSink | undefined {
  return run.tracer === undefined ? configuredPayloads : undefined;
}

/** Records a state on a span: inline, or by reference with its ref listed in `tracewright.payload.ref`. */
function setState(span: Span, key: string, json: string, run: RunFrame, refs: string[], hash?: string): void {
  const { value, ref } = inlineOrRef(json, payloadsOf(run), hash);
  span.setAttribute(key, value);
  if (ref !== undefined) {
    refs.push(ref);
    span.setAttribute(Tracewright.PAYLOAD_REF, refs);
  }
}

function tracer(): Tracer {
  return configuredTracer ?? trace.getTracer(INSTRUMENTATION.name, INSTRUMENTATION.version);
}

function currentFrame(ctx: Context = otelContext.active()): StepFrame | undefined {
  return ctx.getValue(FRAME) as StepFrame | undefined;
}

/** The id of the run active in this async context, if any. */
export function currentRunId(): string | undefined {
  return currentFrame()?.run.runId;
}

/**
 * The ancestry a child of `parent` records: the parent's own, then the parent. Unknown when the
 * child's parent span is not the step's (a span of other instrumentation in between) or past
 * {@link MAX_ANCESTRY} levels: the child then starts a chain of its own.
 */
function childAncestry(parent: StepFrame, parentCtx: Context): string | undefined {
  if (parent.depth >= MAX_ANCESTRY || trace.getSpan(parentCtx) !== parent.span) return undefined;
  if (parent.lineage === undefined) {
    const start = (parent.span as Partial<{ startTime: HrTime }>).startTime;
    if (start === undefined) return undefined;
    const own = `${parent.span.spanContext().spanId}:${stepOrder(start[0] * 1000 + Math.floor(start[1] / 1_000_000), parent.seq)}`;
    parent.lineage = parent.ancestry === "" ? own : `${parent.ancestry}.${own}`;
  }
  return parent.lineage;
}

/** A step whose span records nothing (its run sampled out) and that no replay watches: its states would be thrown away. */
function recordsNothing(frame: StepFrame): boolean {
  return frame.run.interceptor === undefined && !frame.span.isRecording();
}

/**
 * A child's `kind:name` segment, by kind and name: built once, not per step (the string a step's
 * counter is looked up by would otherwise be a new one each time, hashed afresh). Bounded: past
 * {@link MAX_LOCAL_SEGMENTS} names (a tool named per call), it starts again.
 */
const localSegments = new Map<StepKind, Map<string, string>>();
let localSegmentCount = 0;
const MAX_LOCAL_SEGMENTS = 4096;

function localSegment(kind: StepKind, name: string): string {
  let byName = localSegments.get(kind);
  if (byName === undefined) localSegments.set(kind, (byName = new Map()));
  let local = byName.get(name);
  if (local === undefined) {
    local = `${kind}:${stepKeySegment(name)}`;
    if (localSegmentCount >= MAX_LOCAL_SEGMENTS) {
      for (const names of localSegments.values()) names.clear();
      localSegmentCount = 0;
    }
    byName.set(name, local);
    localSegmentCount++;
  }
  return local;
}

function childKey(parent: StepFrame, kind: StepKind, name: string): string {
  const local = localSegment(kind, name);
  const counters = (parent.counters ??= new Map());
  const n = counters.get(local) ?? 0;
  counters.set(local, n + 1);
  return `${parent.key}/${local}#${n}`;
}


/**
 * What a step records of a thrown value as `exception.type` and `exception.message`: an Error's
 * name and message; for anything else its `typeof` and its text (`String(value)`), whatever fields
 * it has; the message redacted. Replay describes a replayed error with the same function, so a
 * thrown `{ message }` compares equal to its recording.
 */
export function describeError(error: unknown): { type: string; message: string } {
  const e = error instanceof Error ? error : undefined;
  return { type: e?.name ?? typeof error, message: redactText(e?.message ?? safeString(error)) };
}

/** The one error-recording path: exception event, ERROR status. The caller rethrows. */
export function recordError(span: Span, error: unknown): void {
  safely(() => {
    // Sampled out: nothing would be kept, so the error is not serialized for nothing.
    if (!span.isRecording()) return;
    const e = error instanceof Error ? error : undefined;
    const { type, message } = describeError(error);
    span.addEvent(Exception.EVENT_NAME, {
      [Exception.TYPE]: type,
      [Exception.MESSAGE]: message,
      ...(e?.stack === undefined ? {} : { [Exception.STACKTRACE]: redactText(e.stack) }),
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    // The whole error (class name, code, own fields), so replay can rethrow what was thrown.
    span.setAttribute(Tracewright.ERROR_VALUE, serialize(error));
  });
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "unprintable error";
  }
}

/** What a step is: how {@link withStep} records it. */
export interface StepSpec {
  kind: StepKind;
  name: string;
  spanName: string;
  input: unknown;
  attributes: Attributes;
  spanKind?: SpanKind;
  /** Attributes derived from the output (e.g. token usage). */
  onOutput?: (output: unknown, span: Span) => void;
  /** Told the step's context once it has started, live or replayed (e.g. to carry it along a message). */
  onStart?: (ctx: Context) => void;
  /**
   * Errors that are control flow, not failures (a LangGraph interrupt): the step ends without an
   * error status, marked `tracewright.step.suspended`, and the error is rethrown unchanged.
   * Default: {@link isGraphBubbleUp}, for every step.
   */
  isSuspension?: (error: unknown) => boolean;
  /** See {@link StepCall.revive}. */
  revive?: (recorded: unknown) => unknown;
}

interface Started {
  span: Span;
  ctx: Context;
  /** Made when the run has an interceptor (and only then). */
  call: StepCall | undefined;
  frame: StepFrame;
  /** The refs of this step's states sent by reference so far (`tracewright.payload.ref`). */
  refs: string[];
  /** This step opened its run in this process (`openRuns`): it closes it when it ends. */
  opensRun: boolean;
}

/**
 * Opens a step's span. Under a parent frame the key extends the parent's; with no parent, a
 * `root` makes this the root of a new run (its key is the agent's name, its run id the span's
 * trace id), and without one the step is detached (outside any run: no run id, no counter).
 */
function startStep(spec: StepSpec, parent: StepFrame | undefined, parentCtx: Context, root?: RunOptions): Started {
  const carried = parent === undefined && root !== undefined ? (parentCtx.getValue(CARRIED) as CarriedRun | undefined) : undefined;
  const key =
    parent !== undefined
      ? childKey(parent, spec.kind, spec.name)
      : carried?.parentKey !== undefined
        ? `${carried.parentKey}/${spec.kind}:${stepKeySegment(spec.name)}#${carried.attempt ?? 0}`
        : root !== undefined
          ? stepKeySegment(spec.name)
          : `${spec.kind}:${stepKeySegment(spec.name)}`;
  // Under a step that records nothing (its run sampled out), a step records nothing either (the
  // sampler is by run): its state is not serialized, unless a replay watches.
  const quiet = parent !== undefined && recordsNothing(parent);
  let inputJson = quiet ? "" : serialize(spec.input);
  // The input's sha256, hashed only when asked for: by an interceptor (replay compares it), or
  // to send an oversized input by reference. A live step's span carries `input.value` whole, and
  // readers derive the hash from it (`stepInputHash`), off the agent's path.
  let inputHash: string | undefined;
  const hashOfInput = (): string => (inputHash ??= hashJson(inputJson));
  // Stores into a copy, not a literal of a spread and computed keys: V8 builds that one through
  // the runtime, key by key, a tenth of a small step's whole cost.
  const attributes: Attributes = Object.assign({}, spec.attributes);
  attributes[Tracewright.STEP_KEY] = key;
  attributes[Tracewright.STEP_KIND] = spec.kind;
  attributes[OpenInference.INPUT_VALUE] = inputJson;
  attributes[OpenInference.INPUT_MIME_TYPE] = MIME_JSON;
  const refs: string[] = [];
  // A root of this process (no step above it) starts a chain, and records no ancestry — unless it
  // continues a carried run whose producer's chain came along, ending in its remote parent.
  let ancestry: string | undefined = "";
  // How many ancestors `ancestry` holds.
  let depth = 0;
  const chain = carried?.ancestry === undefined ? undefined : parseStepAncestry(carried.ancestry);
  const above = chain === undefined ? undefined : trace.getSpanContext(parentCtx);
  if (chain !== undefined && above !== undefined && isSpanContextValid(above) && chain.at(-1)?.spanId === above.spanId) {
    ancestry = carried?.ancestry as string;
    depth = chain.length;
    attributes[Tracewright.STEP_ANCESTRY] = ancestry;
  }
  let seq = 0;
  if (parent !== undefined) {
    if (parent.run.runId !== "") attributes[Tracewright.RUN_ID] = parent.run.runId;
    // The order in which the parent called its children: replay checks call order with it.
    seq = parent.children++;
    attributes[Tracewright.STEP_SEQ] = seq;
    ancestry = childAncestry(parent, parentCtx);
    // A step whose ancestry is unknown starts a chain of its own for its children.
    depth = ancestry === undefined ? 0 : parent.depth + 1;
    if (ancestry !== undefined) attributes[Tracewright.STEP_ANCESTRY] = ancestry;
  }
  const links = root?.links;
  const local = carried === undefined ? undefined : openRuns.get(carried.runId);
  const spanTracer = parent?.run.tracer ?? root?.tracer ?? local?.tracer ?? tracer();
  // Attributes given at the start are checked and copied twice by the SDK (for the sampler, then
  // into the span), ~95 ns each against ~45 ns set on the span: a tenth of a small step's cost.
  // init()'s tracer samples by trace id alone (always, or a ratio by run), so its spans get them
  // right after; any other tracer's sampler may read them, and gets them at the start.
  const afterStart = spanTracer === configuredTracer;
  const kind = spec.spanKind ?? SpanKind.INTERNAL;
  // The common options are a constant: a literal of conditional spreads is built key by key.
  const options: SpanOptions = afterStart && links === undefined && kind === SpanKind.INTERNAL ? INTERNAL_SPAN : { kind, ...(afterStart ? {} : { attributes }), ...(links ? { links } : {}) };
  const span = spanTracer.startSpan(spec.spanName, options, parentCtx);
  if (afterStart) span.setAttributes(attributes);
  if (quiet && span.isRecording()) {
    // A sampler that is not by run recorded this step after all: its input, late but whole.
    const late = serialize(spec.input);
    inputJson = late;
    safely(() => span.setAttribute(OpenInference.INPUT_VALUE, late));
  }
  let run: RunFrame;
  let opensRun = false;
  if (parent !== undefined) {
    run = parent.run;
  } else if (carried !== undefined) {
    // A consumer continuing the run in another process: deterministic if it asks to be.
    run = local ?? runFrame(carried.runId, root);
    if (local === undefined) markDeterministic(span, root);
    safely(() => span.setAttribute(Tracewright.RUN_ID, carried.runId));
  } else if (root !== undefined) {
    // The run id is the root span's trace id: no second id scheme beside the span context.
    const spanContext = span.spanContext();
    run = runFrame(isSpanContextValid(spanContext) ? spanContext.traceId : newRunId(), root);
    markDeterministic(span, root);
    const runId = run.runId;
    safely(() => span.setAttribute(Tracewright.RUN_ID, runId));
    // A root under a remote parent shares the producer's trace id; an open producer keeps its entry.
    if (!openRuns.has(runId)) {
      openRuns.set(runId, run);
      opensRun = true;
    }
  } else {
    run = DETACHED;
  }
  // Counted down by runWithResult when this root ends.
  if (parent === undefined && root !== undefined) run.roots++;
  // Offloaded, `input.value` holds a marker, not the input: the hash rides beside it.
  if (offloadInput(span, inputJson, hashOfInput, run, refs)) safely(() => span.setAttribute(Tracewright.INPUT_HASH, hashOfInput()));
  const frame: StepFrame = { run, key, counters: undefined, children: 0, seq, span, ancestry: ancestry ?? "", depth };
  const ctx = StepContext.of(parentCtx, span, frame);
  // This process's local root of the run (a fresh root, or a consumer continuing a run no step of
  // this process has open): announce the run now, not when its first step ends.
  if (parent === undefined && root !== undefined && local === undefined) {
    const startedRun = run;
    const above = trace.getSpanContext(parentCtx);
    const placement = above !== undefined && isSpanContextValid(above) ? RunStart.CONTINUED : RunStart.ROOT;
    safely(() => markRunStart(spanTracer, span, ctx, startedRun, key, inputJson, hashOfInput, placement));
  }
  // What an interceptor is shown of the step: made only for a run one watches, as nothing reads it
  // in a live run (and the hash it holds is taken only then).
  const call = run.interceptor === undefined ? undefined : stepCall(spec, frame, inputJson, hashOfInput());
  return { span, ctx, frame, refs, call, opensRun };
}

/** A step as its run's interceptor sees it (see {@link StepCall}). */
function stepCall(spec: StepSpec, frame: StepFrame, inputJson: string, inputHash: string): StepCall {
  const span = frame.span;
  const annotate = (extra: Attributes): void => safely(() => span.setAttributes(extra));
  const call: StepCall = {
    key: frame.key,
    kind: spec.kind,
    name: spec.name,
    input: spec.input,
    inputJson,
    inputHash,
    sideEffects: spec.attributes[Tracewright.TOOL_SIDE_EFFECTS] === true,
    annotate,
    rekey: (to, toSeq) => {
      call.key = to;
      frame.key = to;
      if (toSeq !== undefined) frame.seq = toSeq;
      annotate({ [Tracewright.STEP_KEY]: to, ...(toSeq === undefined ? {} : { [Tracewright.STEP_SEQ]: toSeq }) });
    },
    ...(spec.revive === undefined ? {} : { revive: spec.revive }),
  };
  return call;
}

/** A step span's options when init()'s tracer records it with no links: its attributes are set right after the start. */
const INTERNAL_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.INTERNAL });

const DETACHED: RunFrame = { runId: "", interceptor: undefined, tracer: undefined, roots: 0 };

/** A run's frame in this process, as its local root's options make it: no root of it running yet. */
function runFrame(runId: string, root: RunOptions | undefined): RunFrame {
  return { runId, interceptor: root?.interceptor, tracer: root?.tracer, roots: 0, ...(root?.deterministic === true ? { deterministic: true } : {}) };
}

/** A local root of a run asked to be deterministic: its reads routed from now on, and its span saying so, for replay to run it so too whatever its entry point passes. */
function markDeterministic(span: Span, root: RunOptions | undefined): void {
  if (root?.deterministic !== true) return;
  installRouting();
  safely(() => span.setAttribute(Tracewright.RUN_DETERMINISTIC, true));
}

/**
 * The input rides in the start attributes (samplers see it); an oversized one is replaced by its
 * marker, the payload sent by reference. One path for a step's input and a run-start span's.
 */
function offloadInput(span: Span, inputJson: string, inputHash: () => string, run: RunFrame, refs: string[]): boolean {
  const payloads = payloadsOf(run);
  // Not for a span that records nothing (a root its run's sampler left out): the payload would be sent for nothing.
  if (payloads === undefined || !span.isRecording() || !overInlineLimit(inputJson, payloads.maxInlineBytes)) return false;
  safely(() => setState(span, OpenInference.INPUT_VALUE, inputJson, run, refs, inputHash()));
  return true;
}

/**
 * The run-start span (`tracewright.run.start`): zero-duration, a child of the local root, at the
 * root's start time, with the run id, the agent and the root's input. It ends at once, so the
 * export queue sends it with its next batch — the run is listed as running before any step ends.
 * It goes through the root's tracer, so it is sampled with the run (an unsampled root makes none).
 * It is not a step: no step key, kind or seq, so no counter, key or order of the run moves.
 */
function markRunStart(spanTracer: Tracer, root: Span, ctx: Context, run: RunFrame, key: string, inputJson: string, inputHash: () => string, placement: RunStart): void {
  if (!root.isRecording()) return;
  const slash = key.indexOf("/");
  const agent = stepKeyName(slash === -1 ? key : key.slice(0, slash));
  const startTime = (root as Partial<{ startTime: HrTime }>).startTime;
  const attributes: Attributes = {
    [Tracewright.RUN_ID]: run.runId,
    [Tracewright.RUN_START]: placement,
    [GenAI.AGENT_NAME]: agent,
    [OpenInference.INPUT_VALUE]: inputJson,
    [OpenInference.INPUT_MIME_TYPE]: MIME_JSON,
  };
  const marker = spanTracer.startSpan(`start ${agent}`, { kind: SpanKind.INTERNAL, attributes, ...(startTime === undefined ? {} : { startTime }) }, ctx);
  offloadInput(marker, inputJson, inputHash, run, []);
  marker.end(startTime);
}

function endOk(started: Started, spec: StepSpec, output: unknown): void {
  asInstrumentation(() => endOkNow(started, spec, output));
}

function endOkNow(started: Started, spec: StepSpec, output: unknown): void {
  if (recordsNothing(started.frame)) {
    // Sampled out: nothing of the output would be kept.
    safely(() => started.span.end());
    return;
  }
  markChildren(started);
  let outputJson: string | undefined;
  safely(() => {
    outputJson = serialize(output);
    setState(started.span, OpenInference.OUTPUT_VALUE, outputJson, started.frame.run, started.refs);
    started.span.setAttribute(OpenInference.OUTPUT_MIME_TYPE, MIME_JSON);
  });
  // Apart from the output's recording: what it reads (usage, a stream's failure) is recorded even if that failed.
  if (spec.onOutput !== undefined) safely(() => spec.onOutput?.(output, started.span));
  const call = started.call;
  if (call !== undefined) safely(() => started.frame.run.interceptor?.completed?.(call, outputJson === undefined ? {} : { outputJson }));
  safely(() => started.span.end());
}

/** How many steps this one started (`tracewright.step.children`), on a step that started any. */
function markChildren(started: Started): void {
  const children = started.frame.children;
  if (children > 0) safely(() => started.span.setAttribute(Tracewright.STEP_CHILDREN, children));
}

function endError(started: Started, error: unknown): void {
  asInstrumentation(() => endErrorNow(started, error));
}

function endErrorNow(started: Started, error: unknown): void {
  markChildren(started);
  recordError(started.span, error);
  const call = started.call;
  if (call !== undefined) safely(() => started.frame.run.interceptor?.completed?.(call, { error }));
  safely(() => started.span.end());
}

/**
 * Runs `fn` as one step: a span with its input, its output or error; the result unchanged.
 * Every wrapper (node, llm, tool, and the boundaries built in other modules: messages, state,
 * human input) is this with its own spec, so recording, replay interception and error handling
 * are written once.
 */
export function withStep<R>(spec: StepSpec, fn: (input: unknown) => R | Promise<R>): Promise<R> {
  const s = tryStart(spec);
  if (s === undefined) {
    try {
      return Promise.resolve(fn(spec.input));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  // Not an async function itself: one returning settle's promise would wrap it in another, and
  // resolving a promise with a promise costs two more promises and microtasks per step.
  if (s.frame.run.interceptor !== undefined) return settle(s, spec, (...override: unknown[]) => otelContext.with(s.ctx, async () => fn(override.length > 0 ? override[0] : spec.input)));
  // Live: the work runs now, in the step's context. A result that is not a promise (a tool that
  // computes, a cached answer) ends the step at once, with no promise awaited for it.
  let result: R | Promise<R>;
  let then: unknown;
  try {
    const called = otelContext.with(s.ctx, fn, undefined, spec.input);
    result = called;
    if (called instanceof Promise && Object.getPrototypeOf(called) === Promise.prototype) return settle(s, spec, () => called);
    // Read once, as a promise resolved with the value reads it (a getter may throw, a revoked Proxy too: the step fails with it).
    then = (typeof result === "object" && result !== null) || typeof result === "function" ? (result as { then?: unknown }).then : undefined;
  } catch (error) {
    endFailed(s, spec, error);
    return Promise.reject(error as Error);
  }
  // Another thenable (a query builder: Prisma, Knex; a Promise subclass) may start its work in then(): called in the step's context.
  if (typeof then === "function") return settle(s, spec, () => otelContext.with(s.ctx, () => new Promise<R>((resolve, reject) => (then as (ok: (v: R) => void, fail: (e: unknown) => void) => unknown).call(result, resolve, reject))));
  endOk(s, spec, result);
  return Promise.resolve(result);
}

/** Opens a step under the active one; undefined when recording itself failed (the work still runs). */
function tryStart(spec: StepSpec, root?: RunOptions): Started | undefined {
  let started: Started | undefined;
  try {
    started = asInstrumentation(() => {
      const active = otelContext.active();
      return startStep(spec, currentFrame(active), active, root);
    });
  } catch {
    return undefined;
  }
  const ctx = started.ctx;
  if (spec.onStart !== undefined) safely(() => spec.onStart?.(ctx));
  return started;
}

/** Runs a started step's work (live, or through the run's interceptor) and ends its span. */
async function settle<R>(s: Started, spec: StepSpec, live: (...override: unknown[]) => Promise<R>): Promise<R> {
  try {
    const interceptor = s.frame.run.interceptor;
    const output = interceptor === undefined || s.call === undefined ? await live() : await interceptor.intercept(s.call, live);
    endOk(s, spec, output);
    return output;
  } catch (error) {
    endFailed(s, spec, error);
    throw error;
  }
}

/**
 * LangGraph signals interrupts and parent commands by throwing errors marked `is_bubble_up`:
 * control flow, not failures. Read by duck typing (no LangGraph import), and the default of every
 * step's {@link StepSpec.isSuspension}: `interrupt()` inside a tool — LangGraph's way to ask for
 * approval before the tool acts — suspends the tool, it does not fail it.
 */
export function isGraphBubbleUp(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { is_bubble_up?: unknown }).is_bubble_up === true;
}

/** Ends a step whose work threw: suspended (a LangGraph interrupt), or failed. The caller rethrows. */
function endFailed(s: Started, spec: StepSpec, error: unknown): void {
  if ((spec.isSuspension ?? isGraphBubbleUp)(error)) {
    markChildren(s);
    safely(() => s.span.setAttribute(Tracewright.STEP_SUSPENDED, true));
    safely(() => asInstrumentation(() => s.span.end()));
  } else {
    endError(s, error);
  }
}

/** A synchronous step (clock, random, uuid reads): {@link withStep} without a promise. */
export function withSyncStep<R>(spec: StepSpec, fn: () => R): R {
  const s = tryStart(spec);
  if (s === undefined) return fn();
  try {
    const interceptor = s.frame.run.interceptor;
    const output = interceptor === undefined || s.call === undefined ? fn() : interceptor.interceptSync(s.call, fn);
    endOk(s, spec, output);
    return output;
  } catch (error) {
    endError(s, error);
    throw error;
  }
}

/**
 * Runs an agent as one run, the root of its steps. Returns what `fn` returns and rethrows its
 * error unchanged, after recording it. Called inside another run, it becomes an `agent` step
 * of that run (a supervisor calling a worker agent), sharing its run id.
 */
export async function run<I, O>(agent: string, input: I, fn: (ctx: RunContext<I>) => O | Promise<O>, options: RunOptions = {}): Promise<O> {
  const result = await runWithResult(agent, input, fn, options);
  if (result.status === "error") throw result.error;
  return result.output as O;
}

/**
 * Like {@link run}, but resolves to the run's id and outcome instead of rethrowing: what a
 * caller that must know the run id of a failed run (a CLI, a test, replay) uses.
 */
export async function runWithResult<I, O>(agent: string, input: I, fn: (ctx: RunContext<I>) => O | Promise<O>, options: RunOptions = {}): Promise<RunResult<O>> {
  ensureContextManager();
  const parentCtx = otelContext.active();
  const parent = currentFrame(parentCtx);
  const spec: StepSpec = {
    kind: StepKind.AGENT,
    name: agent,
    spanName: `${Operation.INVOKE_AGENT} ${agent}`,
    input,
    attributes: {
      [GenAI.OPERATION_NAME]: Operation.INVOKE_AGENT,
      [GenAI.AGENT_NAME]: agent,
      [OpenInference.SPAN_KIND]: OpenInferenceKind.AGENT,
      ...options.attributes,
    },
    ...(options.spanKind === undefined ? {} : { spanKind: options.spanKind }),
  };
  const started = tryStart(spec, parent === undefined ? options : undefined);
  const traceId = started?.span.spanContext().traceId ?? "";
  const ctx: RunContext<I> = {
    runId: started?.frame.run.runId || parent?.run.runId || newRunId(),
    state: input,
    now: () => withSyncStep(boundary(StepKind.CLOCK, "now", null), () => realNow()),
    random: () => withSyncStep(boundary(StepKind.RANDOM, "random", null), () => realRandom()),
    uuid: () => withSyncStep(boundary(StepKind.UUID, "uuid", null), () => realUuid()),
  };
  try {
    const output =
      started === undefined
        ? await fn(ctx)
        : await settle(started, spec, (...override: unknown[]) => otelContext.with(started.ctx, async () => fn(override.length > 0 ? { ...ctx, state: override[0] as I } : ctx)));
    return { runId: ctx.runId, traceId, status: "ok", output };
  } catch (error) {
    return { runId: ctx.runId, traceId, status: "error", error };
  } finally {
    if (started !== undefined && parent === undefined) started.frame.run.roots--;
    // The fresh root that opened its run here closes it; a root that joined an open run (an
    // in-process consumer) does not.
    if (started?.opensRun === true && openRuns.get(started.frame.run.runId) === started.frame.run) openRuns.delete(started.frame.run.runId);
  }
}

/**
 * Set while the instrumentation itself works — a step's span started or ended, its states
 * serialized, a routed read recorded: the clock and random reads made then (the SDK's span start
 * reads `Date.now()`, an id generator may read `Math.random()`) are the instrumentation's, not the
 * agent's, and go to the real functions. Recorded, they would be steps the agent never took, and
 * replay would serve them where the agent's own reads come.
 */
let instrumenting = false;

function asInstrumentation<T>(work: () => T): T {
  if (instrumenting || !routingInstalled) return work();
  instrumenting = true;
  try {
    return work();
  } finally {
    instrumenting = false;
  }
}

const realNow = Date.now.bind(Date);
const realRandom = Math.random.bind(Math);
const realUuid = randomUUID;
const realRandomBytes = randomBytes;
/** Typed loosely: its overloads (a view, an ArrayBuffer) are one function. */
const realFillSync = nodeCrypto.randomFillSync as unknown as (buffer: unknown, offset?: number, size?: number) => unknown;

/** A read of more bytes than this (a call) is not routed: its bytes, base64 in a span, would outweigh the run. */
const MAX_ROUTED_BYTES = 1 << 20;

/** A byte count or offset as node:crypto reads one: a number times `unit`, 0 to `limit`, truncated; undefined where it refuses it. */
function byteCount(value: unknown, unit: number, limit: number): number | undefined {
  if (typeof value !== "number") return undefined;
  const bytes = value * unit;
  return Number.isNaN(bytes) || bytes < 0 || bytes > limit ? undefined : bytes >>> 0;
}

/**
 * The bytes `randomFillSync(buffer, offset, size)` fills, as the real one reads its arguments
 * (offset and size in the view's elements, in bytes of an ArrayBuffer or DataView; fractions
 * truncated); undefined for arguments it refuses (the real call then throws its own error,
 * outside any step).
 */
function filledRegion(buffer: unknown, offset: unknown = 0, size?: unknown): Uint8Array | undefined {
  const view = ArrayBuffer.isView(buffer);
  if (!view && !(buffer instanceof ArrayBuffer) && !(typeof SharedArrayBuffer === "function" && buffer instanceof SharedArrayBuffer)) return undefined;
  const unit = view ? ((buffer as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1) : 1;
  const total = (buffer as ArrayBufferLike | ArrayBufferView).byteLength;
  const start = byteCount(offset, unit, total);
  if (start === undefined) return undefined;
  const length = size === undefined ? total - start : byteCount(size, unit, 2 ** 32 - 1);
  if (length === undefined || start + length > total) return undefined;
  return view ? new Uint8Array((buffer as ArrayBufferView).buffer, (buffer as ArrayBufferView).byteOffset + start, length) : new Uint8Array(buffer as ArrayBufferLike, start, length);
}

let routingInstalled = false;

/**
 * Installs, once, the process-wide functions that route to recorded steps inside a run that
 * asked for it (`deterministic: true`) and to the real ones everywhere else. Inside a step's own
 * recording (the boundary functions above) the real functions are called directly.
 */
function installRouting(): void {
  if (routingInstalled) return;
  routingInstalled = true;
  // While a routed read is being recorded, reads made by the recording itself (the SDK, the
  // serializer) get the real functions: no recursion.
  const routed = (): boolean => {
    const frame = currentFrame();
    // A read from a run that has ended here (a timer or callback it left behind) is no step of it.
    return !instrumenting && frame?.run.deterministic === true && frame.run.roots > 0;
  };
  const route = <T>(kind: StepKind, name: string, real: () => T, input: unknown = null): T => (routed() ? asInstrumentation(() => withSyncStep(boundary(kind, name, input), real)) : real());
  const now = (): number => route(StepKind.CLOCK, "now", realNow);
  Date.now = now;
  // `new Date()` and `Date()` read the clock too (the commonest way a prompt gets the time): the
  // global Date becomes a constructor that reads it through `now`, the same clock step; with
  // arguments, and outside a deterministic run, it is the real one. Its prototype is the real
  // Date's, so every Date is still `instanceof Date`. A class that extended Date before this ran
  // extends the real one, and reads the real clock.
  const RealDate = Date;
  function RoutedDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target) as unknown;
  }
  Object.setPrototypeOf(RoutedDate, RealDate);
  Object.defineProperty(RoutedDate, "prototype", { value: RealDate.prototype });
  Object.defineProperty(RoutedDate, "name", { value: "Date" });
  Object.defineProperty(RoutedDate, "length", { value: RealDate.length });
  Object.defineProperty(RoutedDate, "now", { value: now, writable: true, configurable: true });
  for (const name of ["parse", "UTC"] as const) Object.defineProperty(RoutedDate, name, { value: RealDate[name], writable: true, configurable: true });
  // `date.constructor === Date` (libraries check a Date so) holds of the global.
  Object.defineProperty(RealDate.prototype, "constructor", { value: RoutedDate, writable: true, configurable: true });
  globalThis.Date = RoutedDate as unknown as DateConstructor;
  Math.random = () => route(StepKind.RANDOM, "random", realRandom);
  const cryptoObject = globalThis.crypto as { randomUUID?: () => string; getRandomValues?: <T extends ArrayBufferView | null>(array: T) => T } | undefined;
  if (cryptoObject?.randomUUID !== undefined) {
    const original = cryptoObject.randomUUID.bind(cryptoObject) as () => string;
    cryptoObject.randomUUID = (() => route(StepKind.UUID, "uuid", original)) as typeof cryptoObject.randomUUID;
  }
  /** A `random:bytes` step of the region's byte count: `fill` (the real function) fills it when recording, the recorded bytes when replaying. */
  const routeBytes = (region: Uint8Array, fill: () => void): void => {
    const read = route(StepKind.RANDOM, "bytes", () => (fill(), Buffer.from(region).toString("base64")), { bytes: region.length });
    const served = typeof read === "string" ? Buffer.from(read, "base64") : undefined;
    // Served bytes that are not the count asked for (an edited or redacted recording): never a region left part zeros or stale.
    if (served?.length !== region.length) {
      throw new TracewrightError("REPLAY_BYTES_MISMATCH", `A random:bytes step was served ${served === undefined ? `a ${typeof read}` : `${served.length} bytes`} where ${region.length} were read when it was recorded: the recording's output for this step is not the bytes it drew.`);
    }
    region.set(served);
  };
  // `crypto.getRandomValues(bytes)`: what LangChain's and LangGraph's time-based ids (uuid v1, v6,
  // v7: a checkpoint's id, an interrupt's id made from it) draw their random part from. A
  // `random:bytes` step of the byte count, its output the bytes (base64), written into the array
  // on replay. Node's own `crypto.getRandomValues` calls this one.
  if (cryptoObject?.getRandomValues !== undefined) {
    const fill = cryptoObject.getRandomValues.bind(cryptoObject);
    cryptoObject.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
      // Anything but a view (the real one throws its TypeError) and reads outside a deterministic run: as they were.
      if (array === null || !ArrayBuffer.isView(array) || !routed()) return fill(array);
      // The real one fills the caller's array (and refuses a float array or over 65,536 bytes, as ever).
      routeBytes(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), () => fill(array));
      return array;
    };
  }
  // `crypto.randomBytes(n)` and `crypto.randomFillSync(buffer, offset?, size?)` (node:crypto's):
  // an id or key drawn as `randomBytes(8).toString("hex")`, and the pools the `uuid` package
  // (before v10) and nanoid fill (a pool replays exactly where it is as recorded: README). The
  // same `random:bytes` step, of the bytes asked for (randomFillSync's offset and size count the
  // array's elements, as the real one reads them). Their callback forms, and `randomFill`,
  // deliver later and read the real ones; so does a call whose arguments the real one refuses
  // before any step is made of it.
  // Named and sized as the real ones (`randomBytes.length` is 2).
  nodeCrypto.randomBytes = function randomBytes(...args: Parameters<typeof realRandomBytes>) {
    const count = args[1] === undefined && routed() ? byteCount(args[0], 1, MAX_ROUTED_BYTES) : undefined;
    if (count === undefined || count === 0) return realRandomBytes(...args);
    const bytes = Buffer.alloc(count);
    routeBytes(bytes, () => bytes.set(realRandomBytes(count)));
    return bytes;
  } as typeof nodeCrypto.randomBytes;
  Object.defineProperty(nodeCrypto.randomBytes, "length", { value: 2 });
  nodeCrypto.randomFillSync = function randomFillSync(buffer: unknown, offset?: number, size?: number): unknown {
    const region = routed() ? filledRegion(buffer, offset, size) : undefined;
    if (region === undefined || region.length === 0 || region.length > MAX_ROUTED_BYTES) return realFillSync(buffer, offset, size);
    routeBytes(region, () => realFillSync(buffer, offset, size));
    return buffer;
  } as unknown as typeof nodeCrypto.randomFillSync;
  Object.defineProperty(nodeCrypto.randomFillSync, "length", { value: 1 });
  // `import { randomUUID } from "node:crypto"` too: the module's function is replaced, and its
  // ESM bindings follow (syncBuiltinESMExports). One destructured before this ran keeps the real one.
  nodeCrypto.randomUUID = (() => route(StepKind.UUID, "uuid", realUuid)) as typeof nodeCrypto.randomUUID;
  syncBuiltinESMExports();
}

function newRunId(): string {
  return realRandomBytes(16).toString("hex");
}

/** The spec of a boundary step that is neither a model nor a tool call (clock, random, uuid, human, state). */
export function boundary(kind: StepKind, name: string, input: unknown): StepSpec {
  return {
    kind,
    name,
    spanName: `${kind} ${name}`,
    input,
    attributes: { [OpenInference.SPAN_KIND]: OpenInferenceKind.CHAIN },
  };
}

/**
 * An agent node: state in, state out. In a supervisor, each worker is a node; in a graph, each
 * graph node.
 */
export function node<S, R>(name: string, state: S, fn: (state: S) => R | Promise<R>): Promise<R> {
  return withStep(
    {
      kind: StepKind.NODE,
      name,
      spanName: `node ${name}`,
      input: state,
      attributes: { [GenAI.OPERATION_NAME]: Operation.INVOKE_WORKFLOW, [OpenInference.SPAN_KIND]: OpenInferenceKind.CHAIN },
    },
    (input) => fn(input as S),
  );
}

/** The request shape `llm` reads: a model and its messages; anything else is recorded too. */
export interface LlmRequest {
  model: string;
  messages?: unknown;
  [key: string]: unknown;
}

export interface LlmOptions<Res = unknown> {
  /** `gen_ai.provider.name`, e.g. `aws.bedrock`, `openai`. */
  provider?: string;
  /** The step's name in its key; defaults to the model id. */
  name?: string;
  /** See {@link ToolOptions.revive}: e.g. `(v) => new AIMessage((v as { kwargs: AIMessageFields }).kwargs)` for LangChain's `AIMessage`. */
  revive?: (recorded: unknown) => Res;
}

/** A model call. Token usage is read from the response's `usage`, in the common shapes. */
export function llm<Req extends LlmRequest, Res>(request: Req, fn: (request: Req) => Res | Promise<Res>, options: LlmOptions<Res> = {}): Promise<Res> {
  return withStep(llmSpec(request, options), (input) => fn(input as Req));
}

/**
 * The step of a model call (`llm`, and the streamed calls of stream.ts): `onOutput` runs after
 * the usage is read from the output. Not exported by the package.
 */
export function llmSpec(request: LlmRequest, options: LlmOptions, onOutput?: (output: unknown, span: Span) => void): StepSpec {
  return {
    kind: StepKind.LLM,
    name: options.name ?? request.model,
    spanName: `${Operation.CHAT} ${request.model}`,
    spanKind: SpanKind.CLIENT,
    input: request,
    attributes: {
      [GenAI.OPERATION_NAME]: Operation.CHAT,
      [GenAI.REQUEST_MODEL]: request.model,
      [OpenInference.SPAN_KIND]: OpenInferenceKind.LLM,
      ...(options.provider === undefined ? {} : { [GenAI.PROVIDER_NAME]: options.provider }),
    },
    onOutput:
      onOutput === undefined
        ? recordUsage
        : (output, span) => {
            // Each on its own: a usage that cannot be read leaves a stream's failure recorded.
            safely(() => recordUsage(output, span));
            onOutput(output, span);
          },
    ...(options.revive === undefined ? {} : { revive: options.revive }),
  };
}

/**
 * Token usage, in the shapes of Bedrock Converse (`inputTokens`, `cacheReadInputTokens`,
 * `cacheWriteInputTokens`), Anthropic (`input_tokens`, `cache_read_input_tokens`,
 * `cache_creation_input_tokens`), OpenAI (`prompt_tokens`, `prompt_tokens_details.cached_tokens`;
 * the Responses API's `input_tokens_details.cached_tokens`) and LangChain (a message's
 * `usage_metadata`: `input_tokens`, `input_token_details.cache_read` / `cache_creation`; also
 * in its serialized form's `kwargs`, as a replay without `revive` serves it).
 */
function recordUsage(output: unknown, span: Span): void {
  const usage = usageOf(output);
  if (usage === undefined) return;
  const details = (key: string): Record<string, unknown> | undefined => {
    const value = usage[key];
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  };
  const langchain = details("input_token_details");
  const counts: [string, unknown][] = [
    [GenAI.USAGE_INPUT_TOKENS, usage.inputTokens ?? usage.input_tokens ?? usage.prompt_tokens],
    [GenAI.USAGE_OUTPUT_TOKENS, usage.outputTokens ?? usage.output_tokens ?? usage.completion_tokens],
    [GenAI.USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheReadInputTokens ?? usage.cache_read_input_tokens ?? details("prompt_tokens_details")?.cached_tokens ?? details("input_tokens_details")?.cached_tokens ?? langchain?.cache_read],
    [GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheWriteInputTokens ?? usage.cache_creation_input_tokens ?? langchain?.cache_creation],
  ];
  for (const [key, count] of counts) if (typeof count === "number" && Number.isFinite(count)) span.setAttribute(key, count);
}

/** A model answer's usage: its `usage`, else a LangChain message's `usage_metadata`, live or serialized. */
function usageOf(output: unknown): Record<string, unknown> | undefined {
  if (output === null || typeof output !== "object") return undefined;
  const o = output as { usage?: unknown; usage_metadata?: unknown; kwargs?: { usage_metadata?: unknown } | null };
  for (const usage of [o.usage, o.usage_metadata, o.kwargs?.usage_metadata]) if (usage !== null && typeof usage === "object" && !Array.isArray(usage)) return usage as Record<string, unknown>;
  return undefined;
}

export interface ToolOptions<R = unknown> {
  /** `gen_ai.tool.call.id`, usually the id the model gave the call. */
  callId?: string;
  /**
   * The tool changes the world (sends a message, pays, deletes). Recorded as
   * `tracewright.tool.side_effects`; a fork runs such a tool live only when explicitly allowed,
   * whether the recorded run called it or not.
   */
  sideEffects?: boolean;
  /**
   * Rebuilds the result replay serves from what was recorded. A result is recorded as JSON
   * (tagged for Dates, Maps, Errors…), so an instance of a class comes back a plain object of
   * its fields, or of what its `toJSON` wrote: a LangChain message, a `URL`, a `Decimal`. Given
   * the recorded value, revived, this returns the instance the agent's code expects. Not called
   * on a live call.
   */
  revive?: (recorded: unknown) => R;
}

/** A tool call. */
export function tool<A, R>(name: string, args: A, fn: (args: A) => R | Promise<R>, options: ToolOptions<R> = {}): Promise<R> {
  return withStep(
    {
      kind: StepKind.TOOL,
      name,
      spanName: `${Operation.EXECUTE_TOOL} ${name}`,
      input: args,
      attributes: {
        [GenAI.OPERATION_NAME]: Operation.EXECUTE_TOOL,
        [GenAI.TOOL_NAME]: name,
        [OpenInference.SPAN_KIND]: OpenInferenceKind.TOOL,
        ...(options.callId === undefined ? {} : { [GenAI.TOOL_CALL_ID]: options.callId }),
        ...(options.sideEffects === true ? { [Tracewright.TOOL_SIDE_EFFECTS]: true } : {}),
      },
      ...(options.revive === undefined ? {} : { revive: options.revive }),
    },
    (input) => fn(input as A),
  );
}
