/**
 * The one home of every span attribute key Tracewright writes or reads (STYLE.md §2).
 *
 * Keys follow the OpenTelemetry GenAI semantic conventions and OpenInference where they have
 * one; the `tracewright.` prefix is used only for what neither has. The collector, the store,
 * replay and the dashboard import these constants; none of them spells a key by hand.
 *
 * This module has no dependencies so that any part can import it without pulling in the SDK.
 */

/** OpenTelemetry GenAI semantic conventions. */
export const GenAI = {
  OPERATION_NAME: "gen_ai.operation.name",
  AGENT_NAME: "gen_ai.agent.name",
  TOOL_NAME: "gen_ai.tool.name",
  TOOL_CALL_ID: "gen_ai.tool.call.id",
  TOOL_CALL_ARGUMENTS: "gen_ai.tool.call.arguments",
  TOOL_CALL_RESULT: "gen_ai.tool.call.result",
  REQUEST_MODEL: "gen_ai.request.model",
  RESPONSE_MODEL: "gen_ai.response.model",
  PROVIDER_NAME: "gen_ai.provider.name",
  USAGE_INPUT_TOKENS: "gen_ai.usage.input_tokens",
  USAGE_OUTPUT_TOKENS: "gen_ai.usage.output_tokens",
  /** Input tokens read from the provider's prompt cache (counted in `gen_ai.usage.input_tokens` or not, as the provider counts them). */
  USAGE_CACHE_READ_INPUT_TOKENS: "gen_ai.usage.cache_read.input_tokens",
  /** Input tokens written to the provider's prompt cache. */
  USAGE_CACHE_CREATION_INPUT_TOKENS: "gen_ai.usage.cache_creation.input_tokens",
  CONVERSATION_ID: "gen_ai.conversation.id",
  INPUT_MESSAGES: "gen_ai.input.messages",
  OUTPUT_MESSAGES: "gen_ai.output.messages",
} as const;

/** Values of `gen_ai.operation.name`. */
export const Operation = {
  INVOKE_AGENT: "invoke_agent",
  INVOKE_WORKFLOW: "invoke_workflow",
  CHAT: "chat",
  EXECUTE_TOOL: "execute_tool",
} as const;

/** OpenInference semantic conventions. */
export const OpenInference = {
  SPAN_KIND: "openinference.span.kind",
  INPUT_VALUE: "input.value",
  INPUT_MIME_TYPE: "input.mime_type",
  OUTPUT_VALUE: "output.value",
  OUTPUT_MIME_TYPE: "output.mime_type",
} as const;

/** Values of `openinference.span.kind`. */
export const OpenInferenceKind = {
  AGENT: "AGENT",
  CHAIN: "CHAIN",
  LLM: "LLM",
  TOOL: "TOOL",
  UNKNOWN: "UNKNOWN",
} as const;

export const MIME_JSON = "application/json";

/** Tracewright's own keys, for what neither convention has. */
export const Tracewright = {
  RUN_ID: "tracewright.run.id",
  STEP_KEY: "tracewright.step.key",
  STEP_KIND: "tracewright.step.kind",
  INPUT_HASH: "tracewright.input.hash",
  /** The step's position among its parent's children, in call order (0-based). */
  STEP_SEQ: "tracewright.step.seq",
  /**
   * On a step that started steps of its own: how many, set when it ends (absent on a leaf). Replay
   * refuses a recording missing some of them — its last calls' spans lost — rather than blame the code.
   */
  STEP_CHILDREN: "tracewright.step.children",
  /** The error a step threw, serialized whole (name, message, stack, own fields). */
  ERROR_VALUE: "tracewright.error.value",
  /**
   * On a step with a state sent by reference (larger than `init({ maxInlineBytes })`): the
   * sha256 (lower-case hex) of each such state, as a string array, input's before output's. The
   * state's own `input.value` / `output.value` then holds a {@link PayloadMarker} naming its ref.
   */
  PAYLOAD_REF: "tracewright.payload.ref",
  /** A step stopped by control flow, not by a failure (a LangGraph interrupt waiting for a human). */
  STEP_SUSPENDED: "tracewright.step.suspended",
  /** LangGraph's thread and checkpoint, on graph node steps. */
  GRAPH_THREAD_ID: "tracewright.graph.thread_id",
  GRAPH_CHECKPOINT_ID: "tracewright.graph.checkpoint_id",
  /** On a tool step: the tool changes the world (sends, pays, deletes); fork runs it live only when allowed. */
  TOOL_SIDE_EFFECTS: "tracewright.tool.side_effects",
  /** On a step whose result replay served from the recording. */
  REPLAY_SERVED: "tracewright.replay.served",
  /**
   * On the step a fork went live from (`from`): a node or agent step, its input the state it ran
   * with (the recorded one, patched); a boundary step, its output the patched result served.
   */
  REPLAY_FORK_POINT: "tracewright.replay.fork_point",
  REPLAY_OF: "tracewright.replay.of",
  REPLAY_MODE: "tracewright.replay.mode",
  /**
   * Marks a run-start span: zero-duration, a child of a run's local root span, exported as soon as
   * the root starts so that a long run is visible while it runs. It carries the run id, the agent
   * (`gen_ai.agent.name`), the root's input (`input.value`) and the root's start time. It is not a
   * step: it has no step key or kind, readers never list or count it as one. Values: {@link RunStart}.
   */
  RUN_START: "tracewright.run.start",
  /**
   * `true` on the root of a run made with `deterministic: true`, whose clock, random and uuid reads
   * anywhere inside are steps: replay runs it so too, whatever the entry point passes.
   */
  RUN_DETERMINISTIC: "tracewright.run.deterministic",
  /**
   * A step's ancestors, outermost first, as `<span id>:<order>` joined by `.` ({@link stepOrder});
   * its parent is the last. Set when every ancestor up to the local root is a step of this process,
   * and on a consumer's root when the producer's chain came with the message: what a sink that
   * needs the whole chain of a span (LangSmith's `dotted_order`, `trace_id`) reads, since a parent
   * is exported after its children. Absent on other local roots, under a span of other
   * instrumentation and past {@link MAX_ANCESTRY} levels: such a span starts a chain of its own.
   */
  STEP_ANCESTRY: "tracewright.step.ancestry",
} as const;

/** The deepest `tracewright.step.ancestry` recorded: a chain this long costs about 2 KB a span. */
export const MAX_ANCESTRY = 64;

/** Values of `tracewright.run.start`: where the marked local root stands in its trace. */
export const RunStart = {
  /** The root span has no parent: the run began here (X-Ray gets an in-progress segment for it). */
  ROOT: "root",
  /** The root span has a parent: a consumer continuing a carried run in another process, or a run under a propagated (or another instrumentation's) span. */
  CONTINUED: "continued",
} as const;
export type RunStart = (typeof RunStart)[keyof typeof RunStart];

/**
 * Whether a span is a run-start span (`tracewright.run.start`): the zero-duration child of a
 * run's local root that the instrumentation exports as the root starts, so that a long run is
 * listed while it runs. Readers let it make or refresh its run (agent, start time, input for
 * search) but never treat it as a step: never listed, counted, keyed or replayed. The one test,
 * for every reader: the store's `buildSteps` (where spans become steps) and its run counts, the
 * sinks, test recorders.
 */
export function isRunStart(span: { readonly attributes: Readonly<Record<string, unknown>> }): boolean {
  const value = span.attributes[Tracewright.RUN_START];
  return typeof value === "string" && value !== "";
}

/**
 * The `$type` of the JSON object that stands in `input.value` / `output.value` for a state sent
 * by reference: `{"$type":"Offloaded","bytes":N,"preview":"<the JSON text's head>","ref":"<sha256>"}`
 * (valid JSON, keys sorted). Stores resolve it to the whole state on read; when the payload never
 * arrived they answer `{"$type":"PayloadMissing", …same fields}` instead, never a cut state.
 */
export const PayloadMarker = {
  OFFLOADED: "Offloaded",
  MISSING: "PayloadMissing",
} as const;

/** The fields of a {@link PayloadMarker}: what the state was, and where the whole of it is. */
export interface PayloadMarkerFields {
  /** UTF-8 bytes of the whole state's JSON text. */
  bytes: number;
  /** The JSON text's head. */
  preview: string;
  /** sha256 of the whole JSON text: the payload's content address. */
  ref: string;
}

/**
 * A marker's JSON text, keys in canonical (sorted) order: the one writer of the format, for the
 * instrumentation (`Offloaded`) and the stores (`PayloadMissing`).
 */
export function payloadMarker(type: (typeof PayloadMarker)[keyof typeof PayloadMarker], fields: PayloadMarkerFields): string {
  return JSON.stringify({ $type: type, bytes: fields.bytes, preview: fields.preview, ref: fields.ref });
}

const OFFLOADED_PREFIX = `{"$type":${JSON.stringify(PayloadMarker.OFFLOADED)},`;

/**
 * The fields of an `Offloaded` marker, when `value` is one's text (as {@link payloadMarker}
 * writes it); undefined for anything else, cheaply for any other state.
 */
export function readOffloadedMarker(value: unknown): PayloadMarkerFields | undefined {
  if (typeof value !== "string" || !value.startsWith(OFFLOADED_PREFIX)) return undefined;
  try {
    const m = JSON.parse(value) as Partial<Record<keyof PayloadMarkerFields, unknown>>;
    return typeof m.ref === "string" ? { bytes: Number(m.bytes) || 0, preview: String(m.preview ?? ""), ref: m.ref } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A name as it stands in a step key (`kind:<segment>#n`): `%` written `%25` and `/` written `%2F`,
 * nothing else changed. Readers cut a key at `/` (its parent is the key up to the last one, its
 * name follows the last), so a name such as a router's model id `openai/gpt-4o` or a Bedrock
 * inference-profile ARN must stay one segment. The one writer, for the instrumentation and for
 * readers that key steps themselves; {@link stepKeyName} reads it back.
 */
export function stepKeySegment(name: string): string {
  return name.includes("/") || name.includes("%") ? name.replace(/%/g, "%25").replace(/\//g, "%2F") : name;
}

/** The name a step key's segment stands for: {@link stepKeySegment} undone. */
export function stepKeyName(segment: string): string {
  return segment.includes("%") ? segment.replace(/%2F|%25/gi, (escape) => (escape === "%25" ? "%" : "/")) : segment;
}

/** One ancestor in a `tracewright.step.ancestry`. */
export interface Ancestor {
  spanId: string;
  /** Its {@link stepOrder}. */
  order: number;
}

/**
 * Where a step stands in the order of its chain, in µs since the epoch: its start in whole
 * milliseconds (the SDK's clock) then, in the microsecond digits, its position among its parent's
 * children (`tracewright.step.seq`, 0 for a root, at most 999) — so that siblings started in the
 * same millisecond keep their call order, as LangSmith's own client does with its execution order.
 */
export function stepOrder(startMs: number, seq: unknown): number {
  const position = typeof seq === "number" && Number.isInteger(seq) && seq > 0 ? Math.min(seq, 999) : 0;
  return Math.floor(startMs) * 1000 + position;
}

const ANCESTOR = /^([0-9a-f]{16}):(\d{1,16})$/;

/**
 * A `tracewright.step.ancestry` read back, outermost first; undefined when it is not one (not a
 * string, a malformed part, more than {@link MAX_ANCESTRY}). It comes from what was sent, or from
 * a message: readers trust nothing else of it.
 */
export function parseStepAncestry(value: unknown): Ancestor[] | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const parts = value.split(".");
  if (parts.length > MAX_ANCESTRY) return undefined;
  const ancestors: Ancestor[] = [];
  for (const part of parts) {
    const m = ANCESTOR.exec(part);
    if (m === null) return undefined;
    ancestors.push({ spanId: m[1] as string, order: Number(m[2]) });
  }
  return ancestors;
}

/** Values of `tracewright.step.kind`. */
export const StepKind = {
  AGENT: "agent",
  NODE: "node",
  LLM: "llm",
  TOOL: "tool",
  CLOCK: "clock",
  RANDOM: "random",
  UUID: "uuid",
  HUMAN: "human",
  STATE: "state",
  MESSAGE: "message",
} as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

const STEP_KINDS: ReadonlySet<string> = new Set(Object.values(StepKind));

/**
 * The kind and name a step key's last segment stands for. A child's segment is
 * `kind:name#occurrence` (the kind before the first `:`); a local root's is its name alone, which
 * may hold a `:` itself (`billing:v2`); a step outside any run is `kind:name`, told from a root
 * by its kind being one of {@link StepKind}. No kind: a root (an agent).
 */
export function stepKeyParts(key: string): { kind?: string; name: string } {
  const last = key.slice(key.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  const hash = last.lastIndexOf("#");
  if (colon !== -1 && (hash > colon || STEP_KINDS.has(last.slice(0, colon)))) {
    return { kind: last.slice(0, colon), name: stepKeyName(last.slice(colon + 1, hash > colon ? hash : undefined)) };
  }
  return { name: stepKeyName(last) };
}

/**
 * The kinds whose results come from outside the agent's own code: what replay serves from a
 * recording (and what a fork's state editor edits as a result rather than an input).
 */
export const BOUNDARY_STEP_KINDS: ReadonlySet<string> = new Set<string>([
  StepKind.LLM,
  StepKind.TOOL,
  StepKind.CLOCK,
  StepKind.RANDOM,
  StepKind.UUID,
  StepKind.HUMAN,
  StepKind.STATE,
  StepKind.MESSAGE,
]);

/**
 * The boundary kinds whose results differ between any two live runs by nature (a clock reading,
 * a random number, a fresh UUID): comparing two runs, another result there is expected, not a
 * divergence. Replay serves them from the recording, so a replay and its original agree on them.
 */
export const ENTROPY_STEP_KINDS: ReadonlySet<string> = new Set<string>([StepKind.CLOCK, StepKind.RANDOM, StepKind.UUID]);

/** OpenTelemetry messaging conventions, on message steps and the consumers they start. */
export const Messaging = {
  SYSTEM: "messaging.system",
  OPERATION_TYPE: "messaging.operation.type",
  DESTINATION_NAME: "messaging.destination.name",
  MESSAGE_ID: "messaging.message.id",
} as const;

/** OpenTelemetry's exception event and its attributes. */
export const Exception = {
  EVENT_NAME: "exception",
  TYPE: "exception.type",
  MESSAGE: "exception.message",
  STACKTRACE: "exception.stacktrace",
} as const;

/** Resource attributes read by the collector and the dashboard. */
export const Resource = {
  SERVICE_NAME: "service.name",
} as const;
