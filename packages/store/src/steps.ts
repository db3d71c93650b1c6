import { Exception, GenAI, isRunStart, OpenInference, OpenInferenceKind, Operation, RunStart, stepKeyParts, stepKeySegment, Tracewright } from "@tracewright/instrument/conventions";
import { stepInputHash } from "@tracewright/instrument/hash";
import { nanosToMicros } from "./derive.js";
import type { AttributeValue, Attributes, RunDetail, RunSummary, SpanRecord, Step, StepError, TraceStore } from "./types.js";

/** The largest token count taken from one span's attribute: past it (a bogus value), it is no count. */
export const MAX_SPAN_TOKENS = 2 ** 40;

/**
 * A span's token-count attribute (`gen_ai.usage.*`) as every reader and sink takes it: a number
 * from 0 to {@link MAX_SPAN_TOKENS}, rounded; anything else (text, negative, absurd) is none.
 * Summed over a run's spans, such counts cannot overflow SQLite's 64-bit integers.
 */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= MAX_SPAN_TOKENS ? Math.round(value) : undefined;
}

/** A span's input and output token counts ({@link tokenCount}), the absent ones left out. */
export function spanTokens(span: SpanRecord): { inputTokens?: number; outputTokens?: number } {
  const inputTokens = tokenCount(span.attributes[GenAI.USAGE_INPUT_TOKENS]);
  const outputTokens = tokenCount(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]);
  return { ...(inputTokens === undefined ? {} : { inputTokens }), ...(outputTokens === undefined ? {} : { outputTokens }) };
}

/**
 * Rebuilds a run's steps from its spans, flat in canonical order: depth-first, parents before
 * children, siblings in call order (`tracewright.step.seq`), else by start time and then key. Iterative (an explicit stack), so a run of
 * any depth cannot overflow the call stack. Spans whose parent is not in the run (a lost span,
 * a parent in another system) are placed as roots, so nothing recorded is hidden.
 *
 * Spans from other instrumentation, without `tracewright.step.key`, get a key built the same
 * way the instrumentation builds one: the parent's key, `/`, `kind:name#occurrence`.
 *
 * Run-start spans (`isRunStart`) are not steps and are left out here — the one place spans
 * become steps, for the store, replay, the CLI and the dashboard alike.
 */
export function buildSteps(spans: readonly SpanRecord[]): Step[] {
  const byId = new Map<string, SpanRecord>();
  const steps: SpanRecord[] = [];
  for (const span of spans) {
    if (isRunStart(span)) continue;
    byId.set(span.spanId, span);
    steps.push(span);
  }
  const children = new Map<string | null, SpanRecord[]>();
  for (const span of steps) {
    const parent = span.parentSpanId !== undefined && byId.has(span.parentSpanId) ? span.parentSpanId : null;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(span);
  }
  for (const list of children.values()) list.sort(compareSiblings);

  const out: Step[] = [];
  const stack: { span: SpanRecord; parentKey: string | null; depth: number }[] = [];
  const pushChildren = (parentId: string | null, parentKey: string | null, depth: number): void => {
    const list = children.get(parentId);
    if (list === undefined) return;
    const counters = new Map<string, number>();
    const framed = list.map((span) => ({ span, parentKey, depth, key: "" }));
    for (const item of framed) {
      const given = item.span.attributes[Tracewright.STEP_KEY];
      if (typeof given === "string" && given !== "") {
        item.key = given;
      } else {
        const local = `${stepKind(item.span)}:${stepKeySegment(item.span.name)}`;
        const n = counters.get(local) ?? 0;
        counters.set(local, n + 1);
        item.key = parentKey === null ? `${local}#${n}` : `${parentKey}/${local}#${n}`;
      }
    }
    // Reverse so the first sibling is popped first.
    for (let i = framed.length - 1; i >= 0; i--) {
      const item = framed[i] as (typeof framed)[number];
      keys.set(item.span.spanId, item.key);
      stack.push({ span: item.span, parentKey: item.parentKey, depth: item.depth });
    }
  };
  const keys = new Map<string, string>();
  pushChildren(null, null, 0);
  while (stack.length > 0) {
    const { span, parentKey, depth } = stack.pop() as (typeof stack)[number];
    const key = keys.get(span.spanId) as string;
    out.push(toStep(span, key, parentKey, depth));
    pushChildren(span.spanId, key, depth + 1);
  }
  return out;
}

/** Siblings in call order (`tracewright.step.seq`) when recorded, else by start time, then key. */
function compareSiblings(a: SpanRecord, b: SpanRecord): number {
  const as = a.attributes[Tracewright.STEP_SEQ];
  const bs = b.attributes[Tracewright.STEP_SEQ];
  if (typeof as === "number" && typeof bs === "number" && as !== bs) return as - bs;
  const at = BigInt(a.startTimeUnixNano);
  const bt = BigInt(b.startTimeUnixNano);
  if (at !== bt) return at < bt ? -1 : 1;
  const ak = String(a.attributes[Tracewright.STEP_KEY] ?? a.name);
  const bk = String(b.attributes[Tracewright.STEP_KEY] ?? b.name);
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

const KIND_BY_OPENINFERENCE: Record<string, string> = {
  [OpenInferenceKind.AGENT]: "agent",
  [OpenInferenceKind.LLM]: "llm",
  [OpenInferenceKind.TOOL]: "tool",
  [OpenInferenceKind.CHAIN]: "node",
};

const KIND_BY_OPERATION: Record<string, string> = {
  [Operation.INVOKE_AGENT]: "agent",
  [Operation.CHAT]: "llm",
  [Operation.EXECUTE_TOOL]: "tool",
  [Operation.INVOKE_WORKFLOW]: "node",
};

/** The step kind: Tracewright's own, else read from the GenAI or OpenInference kind. */
export function stepKind(span: SpanRecord): string {
  const a = span.attributes;
  const own = a[Tracewright.STEP_KIND];
  if (typeof own === "string" && own !== "") return own;
  const operation = a[GenAI.OPERATION_NAME];
  if (typeof operation === "string" && KIND_BY_OPERATION[operation] !== undefined) return KIND_BY_OPERATION[operation];
  const oi = a[OpenInference.SPAN_KIND];
  if (typeof oi === "string" && KIND_BY_OPENINFERENCE[oi] !== undefined) return KIND_BY_OPENINFERENCE[oi];
  return "span";
}

/** Where a step's states are read from, the first present: OpenInference's (Tracewright's), then the GenAI conventions'. */
const STATE_KEYS = {
  input: [OpenInference.INPUT_VALUE, GenAI.INPUT_MESSAGES, GenAI.TOOL_CALL_ARGUMENTS],
  output: [OpenInference.OUTPUT_VALUE, GenAI.OUTPUT_MESSAGES, GenAI.TOOL_CALL_RESULT],
} as const;

/** The attribute a step's input (or output) is read from: the first of its keys set; undefined when none is. */
export function stateAttribute(attributes: Attributes, side: "input" | "output"): string | undefined {
  for (const key of STATE_KEYS[side]) if (attributes[key] !== undefined && attributes[key] !== null) return key;
  return undefined;
}

function toStep(span: SpanRecord, key: string, parentKey: string | null, depth: number): Step {
  const a = span.attributes;
  const inputKey = stateAttribute(a, "input");
  const outputKey = stateAttribute(a, "output");
  const startUs = nanosToMicros(span.startTimeUnixNano);
  const endUs = nanosToMicros(span.endTimeUnixNano);
  const error = stepError(span);
  return {
    key,
    kind: stepKind(span),
    name: stepName(span),
    parentKey,
    // OpenTelemetry instrumentation leaves a successful span's status unset: that is ok.
    status: span.status.code === 2 ? "error" : "ok",
    startTime: new Date(Math.floor(startUs / 1000)).toISOString(),
    durationMs: Math.max(0, (endUs - startUs) / 1000),
    input: parseState(inputKey === undefined ? undefined : a[inputKey]),
    output: parseState(outputKey === undefined ? undefined : a[outputKey]),
    ...(error === undefined ? {} : { error }),
    spanId: span.spanId,
    ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
    depth,
    attributes: withInputHash(a),
  };
}

/**
 * A step's attributes with its `tracewright.input.hash`, derived from `input.value` when the
 * instrumentation left it to readers ({@link stepInputHash}): the same for every reader of steps.
 */
function withInputHash(a: Attributes): Attributes {
  if (a[Tracewright.INPUT_HASH] !== undefined) return a;
  const hash = stepInputHash(a);
  return hash === undefined ? a : { ...a, [Tracewright.INPUT_HASH]: hash };
}

/** The name the step was given in its key (`kind:name#n`), else the GenAI name, else the span's. */
export function stepName(span: SpanRecord): string {
  const a = span.attributes;
  const key = a[Tracewright.STEP_KEY];
  if (typeof key === "string") {
    const { name } = stepKeyParts(key);
    if (name !== "") return name;
  }
  const named = a[GenAI.TOOL_NAME] ?? a[GenAI.AGENT_NAME] ?? a[GenAI.REQUEST_MODEL];
  if (typeof named === "string" && named !== "") return named;
  return span.name;
}

/** A recorded state: JSON text parsed, anything else kept as it is. Undefined when absent. */
function parseState(value: AttributeValue | undefined): unknown {
  if (typeof value !== "string") return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function stepError(span: SpanRecord): StepError | undefined {
  const event = span.events.find((e) => e.name === Exception.EVENT_NAME);
  if (event !== undefined) {
    const stack = event.attributes[Exception.STACKTRACE];
    return {
      type: String(event.attributes[Exception.TYPE] ?? "Error"),
      message: String(event.attributes[Exception.MESSAGE] ?? span.status.message ?? ""),
      ...(typeof stack === "string" ? { stack } : {}),
    };
  }
  if (span.status.code === 2) return { type: "Error", message: span.status.message ?? "" };
  return undefined;
}

/** A run with its steps, or undefined when the store has no such run. */
export async function loadRunDetail(store: TraceStore, runId: string): Promise<RunDetail | undefined> {
  const run: RunSummary | undefined = await store.getRun(runId);
  if (run === undefined) return undefined;
  const spans = await store.getRunSpans(runId);
  const input = runInput(spans);
  return { run, steps: buildSteps(spans), ...(input === undefined ? {} : { input }) };
}

/** The input of the run-start span where the run began, else of the earliest one (spans come in start order). */
function runInput(spans: readonly SpanRecord[]): unknown {
  let found: SpanRecord | undefined;
  for (const span of spans) {
    if (!isRunStart(span) || span.attributes[OpenInference.INPUT_VALUE] === undefined) continue;
    if (span.attributes[Tracewright.RUN_START] === RunStart.ROOT) {
      found = span;
      break;
    }
    found ??= span;
  }
  return found === undefined ? undefined : parseState(found.attributes[OpenInference.INPUT_VALUE]);
}
