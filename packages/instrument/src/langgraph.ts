import { GenAI, OpenInference, OpenInferenceKind, Operation, StepKind, Tracewright } from "./conventions.js";
import { TracewrightError } from "./errors.js";
import { boundary, currentRunId, isGraphBubbleUp, withStep } from "./steps.js";

/**
 * The LangGraph.js adapter. It has no dependency on LangGraph: it wraps the functions you give
 * `addNode`, and reads LangGraph's config and interrupt errors by their documented shape.
 *
 * ```ts
 * const graph = new StateGraph(State)
 *   .addNode("plan", traceNode("plan", plan))
 *   .addNode("approve", traceNode("approve", async (state) => ({ approved: await humanInput("approve the plan?", (q) => interrupt(q)) })))
 *   …
 *   .compile({ checkpointer });
 * await run("supervisor", input, () => graph.invoke(input, { configurable: { thread_id } }));
 * ```
 *
 * Each node is a `node` step with the state it was given in and the update it returned out;
 * model and tool calls inside it nest under it; the thread and checkpoint ids are recorded. An
 * interrupt is a `human` step: the first pass, which stops the graph, is recorded as suspended
 * (not as a failure), and the resumed pass records the human's answer as the step's output —
 * which replay serves.
 */
interface GraphConfig {
  configurable?: { thread_id?: unknown; checkpoint_id?: unknown; checkpoint_ns?: unknown; checkpoint_map?: unknown; [key: string]: unknown };
}

export { isGraphBubbleUp };

function graphAttributes(config: unknown): Record<string, string> {
  const configurable = (config as GraphConfig | undefined)?.configurable;
  const out: Record<string, string> = {};
  if (typeof configurable?.thread_id === "string") out[Tracewright.GRAPH_THREAD_ID] = configurable.thread_id;
  const checkpointId = checkpointOf(configurable);
  if (checkpointId !== undefined) out[Tracewright.GRAPH_CHECKPOINT_ID] = checkpointId;
  if (typeof configurable?.thread_id === "string") out[GenAI.CONVERSATION_ID] = configurable.thread_id;
  return out;
}

/**
 * The checkpoint a node's task was planned from. LangGraph.js hands a node `checkpoint_id`
 * unset and keeps the ids in `checkpoint_map`, by namespace: the node's own namespace
 * (`checkpoint_ns`, `node:task` segments joined by `|`) without its last segment is its graph's.
 */
function checkpointOf(configurable: GraphConfig["configurable"]): string | undefined {
  if (typeof configurable?.checkpoint_id === "string") return configurable.checkpoint_id;
  const map = configurable?.checkpoint_map;
  if (map === null || typeof map !== "object") return undefined;
  const ns = typeof configurable?.checkpoint_ns === "string" ? configurable.checkpoint_ns.split("|").slice(0, -1).join("|") : "";
  const id = (map as Record<string, unknown>)[ns];
  return typeof id === "string" ? id : undefined;
}

/**
 * A `Command({ graph: Command.PARENT })` on its way up: LangGraph throws it as a `ParentCommand`
 * (a bubble-up error carrying the command) out of the subgraph whose node returned it.
 */
function parentCommandOf(error: unknown): { command: unknown } | undefined {
  return isGraphBubbleUp(error) && (error as { name?: unknown }).name === "ParentCommand" && "command" in (error as object) ? (error as { command: unknown }) : undefined;
}

/**
 * Wraps a LangGraph node function so that each call is a recorded `node` step. A handoff to the
 * parent graph passing through (a subgraph ending in `Command({ graph: Command.PARENT })`, as
 * multi-agent handoffs do) ends the step as done, the command its output — the node did its work
 * and nothing waits — and is rethrown unchanged for LangGraph to route; an interrupt ends it as
 * suspended.
 */
export function traceNode<S, U, C = unknown>(name: string, fn: (state: S, config: C) => U | Promise<U>): (state: S, config: C) => Promise<U> {
  return async (state, config) => {
    let handoff: unknown;
    const output = await withStep(
      {
        kind: StepKind.NODE,
        name,
        spanName: `node ${name}`,
        input: state,
        attributes: { [GenAI.OPERATION_NAME]: Operation.INVOKE_WORKFLOW, [OpenInference.SPAN_KIND]: OpenInferenceKind.CHAIN, ...graphAttributes(config) },
        isSuspension: isGraphBubbleUp,
      },
      async (input) => {
        try {
          return await fn(input as S, config);
        } catch (error) {
          const parent = parentCommandOf(error);
          if (parent === undefined) throw error;
          handoff = error;
          return parent.command as U;
        }
      },
    );
    if (handoff !== undefined) throw handoff;
    return output;
  };
}

/**
 * Human input as a recorded `human` step: `ask` is typically `(q) => interrupt(q)`. The value it
 * returns (the resume value) is the step's output; replay serves it without asking again.
 */
export function humanInput<Q, A>(question: Q, ask: (question: Q) => A | Promise<A>): Promise<A> {
  return withStep(
    {
      kind: StepKind.HUMAN,
      name: "input",
      spanName: "human input",
      input: question,
      attributes: { [OpenInference.SPAN_KIND]: OpenInferenceKind.CHAIN },
      isSuspension: isGraphBubbleUp,
    },
    (input) => ask(input as Q),
  );
}

/** What {@link traceCheckpointer} uses of a LangGraph checkpointer: its read, and the serializer it stores with. */
export interface CheckpointReader {
  getTuple(config: never): Promise<unknown>;
  serde: {
    dumpsTyped(value: unknown): Promise<[string, Uint8Array]> | [string, Uint8Array];
    loadsTyped(type: string, data: Uint8Array | string): unknown;
  };
}

/** A checkpoint as a `state:checkpoint` step records it: the serializer's type and its bytes, JSON parsed when they are JSON. */
interface RecordedCheckpoint {
  type: string;
  json?: unknown;
  base64?: string;
}

/**
 * The tuple's channel and node names that are keys (`checkpoint.channel_versions`, and
 * `checkpoint.versions_seen` by node) as `[name, value]` pairs, and back: redaction masks the value
 * of a secret-named key, and a channel called `token` must keep its version, or a replayed graph
 * would compare masked versions and skip a node. The channels' values stay keyed by name: a
 * secret-named channel's value is masked, as any recorded secret is.
 */
function pairedVersions(tuple: unknown, toPairs: boolean): unknown {
  const checkpoint = (tuple as { checkpoint?: unknown } | null)?.checkpoint;
  if (typeof checkpoint !== "object" || checkpoint === null) return tuple;
  /** An object as pairs (or pairs as an object), each value converted too when `nested`; anything else as it is. */
  const convert = (value: unknown, nested: boolean): unknown => {
    const entries = toPairs ? (typeof value === "object" && value !== null && !Array.isArray(value) ? Object.entries(value) : undefined) : Array.isArray(value) ? (value as [string, unknown][]) : undefined;
    if (entries === undefined) return value;
    const converted = entries.map(([name, inner]): [string, unknown] => [name, nested ? convert(inner, false) : inner]);
    return toPairs ? converted : Object.fromEntries(converted);
  };
  const { channel_versions: versions, versions_seen: seen } = checkpoint as { channel_versions?: unknown; versions_seen?: unknown };
  return { ...(tuple as object), checkpoint: { ...checkpoint, ...(versions === undefined ? {} : { channel_versions: convert(versions, false) }), ...(seen === undefined ? {} : { versions_seen: convert(seen, true) }) } };
}

/**
 * A namespace without its task ids (`research:1f0…|search:2a9…` → `research|search`): a subgraph's
 * namespace names its task, whose id is made from a random checkpoint id, and a step's input must
 * be the same on replay for the call to be served.
 */
function namespacePath(ns: unknown): string {
  if (typeof ns !== "string") return "";
  return ns
    .split("|")
    .map((segment) => (segment.includes(":") ? segment.slice(0, segment.lastIndexOf(":")) : segment))
    .join("|");
}

/**
 * A LangGraph checkpointer whose reads are recorded: each `getTuple` (the checkpoint a graph
 * invocation starts from — the one an interrupt left, when it is resumed with `Command({ resume })`)
 * is a `state` step named `checkpoint`. Its input is the thread, the namespace's path (a
 * subgraph's, without its task ids) and, at the top graph, the checkpoint id the caller asked for
 * (time travel); the ids as LangGraph passed them are the span's attributes. Its output is the
 * tuple as the checkpointer's own serializer writes it (`null` for a new thread), versions as pairs
 * ({@link pairedVersions}). Replay serves the step, so a resumed invocation replays in a process
 * whose checkpointer never held the thread. Both paths hand the graph what the serializer reads
 * back, so a recorded run and its replay see the same objects.
 *
 * A read outside any run is the checkpointer's own, and no step. Everything else goes to the
 * checkpointer unchanged: writes (on replay, into the checkpointer the replayed graph was compiled
 * with — give it a fresh `MemorySaver`, never the production one), and the reads this does not
 * record: `list` (time travel through subgraphs) and a delta channel's history
 * (`getDeltaChannelHistory`).
 *
 * ```ts
 * const graph = builder.compile({ checkpointer: traceCheckpointer(new MemorySaver()) });
 * ```
 */
export function traceCheckpointer<C extends CheckpointReader>(checkpointer: C): C {
  const getTuple = async (config: GraphConfig): Promise<unknown> => {
    // Outside a run (an API handler's `graph.getState(config)`): a read no replay serves, no step.
    if (!currentRunId()) return checkpointer.getTuple(config as never);
    const configurable = config?.configurable;
    const path = namespacePath(configurable?.checkpoint_ns);
    const asked = { thread_id: configurable?.thread_id ?? null, checkpoint_ns: path, ...(path === "" ? { checkpoint_id: configurable?.checkpoint_id ?? null } : {}) };
    const spec = boundary(StepKind.STATE, "checkpoint", asked);
    const recorded = await withStep({ ...spec, attributes: { ...spec.attributes, ...graphAttributes(config) } }, async (): Promise<RecordedCheckpoint | null> => {
      const tuple = await checkpointer.getTuple(config as never);
      if (tuple === undefined) return null;
      const [type, bytes] = await checkpointer.serde.dumpsTyped(tuple);
      if (type !== "json") return { type, base64: Buffer.from(bytes).toString("base64") };
      return { type, json: pairedVersions(JSON.parse(Buffer.from(bytes).toString("utf8")), true) };
    });
    if (recorded === null || recorded === undefined) return undefined;
    if (typeof recorded !== "object" || typeof recorded.type !== "string" || (recorded.type === "json" ? !("json" in recorded) : typeof recorded.base64 !== "string")) {
      throw new TracewrightError("REPLAY_STATE_INVALID", `The checkpoint read (a state:checkpoint step) was served ${JSON.stringify(recorded)?.slice(0, 120)}, not a checkpoint as the serializer wrote it ({ type, json } or { type, base64 }): a recording edited, or masked whole when its redaction failed.`);
    }
    return checkpointer.serde.loadsTyped(recorded.type, recorded.type === "json" ? JSON.stringify(pairedVersions(recorded.json, false)) : Buffer.from(recorded.base64 as string, "base64"));
  };
  return new Proxy(checkpointer, {
    get(target, property) {
      if (property === "getTuple") return getTuple;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" && property !== "constructor" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
