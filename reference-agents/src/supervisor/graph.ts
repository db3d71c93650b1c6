import { Annotation, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { traceNode } from "@tracewright/instrument";
import type { SupervisorState } from "./types.js";
import { WORKERS } from "./types.js";
import type { SupervisorDeps } from "./workers.js";
import { approve, MAX_ROUTING_DECISIONS, plan, route, WORKER_NODES } from "./workers.js";

/** Each channel holds the latest value a node wrote: every node returns the whole state. */
const latest = <T>(initial: () => T) => Annotation<T>({ reducer: (_, next) => next, default: initial });

/** The graph's state: {@link SupervisorState}, one channel per field. */
export const SupervisorAnnotation = Annotation.Root({
  goal: latest<string>(() => ""),
  plan: latest<SupervisorState["plan"]>(() => null),
  approval: latest<SupervisorState["approval"]>(() => null),
  findings: latest<SupervisorState["findings"]>(() => []),
  stats: latest<SupervisorState["stats"]>(() => null),
  draft: latest<SupervisorState["draft"]>(() => null),
  routes: latest<SupervisorState["routes"]>(() => []),
});

/** Supersteps a run may take: the plan, the approval, and a router and a worker per decision. */
export const RECURSION_LIMIT = 2 * MAX_ROUTING_DECISIONS + 4;

/**
 * The supervisor as a LangGraph.js `StateGraph`, every node wrapped by `traceNode` so it is a
 * recorded step with its state in and out (and the thread and checkpoint it ran in):
 *
 * ```
 * START → planner → [approve] → supervisor ─┬→ research ─┐
 *                                ▲       ├→ analysis ─┤
 *                                │       ├→ writer ───┤
 *                                └───────┴────────────┘   supervisor → END on "done"
 * ```
 *
 * Node names are step names (`node:planner#0`); the planner is not `plan`, which names the
 * state's channel. `approve` is taken when the run asks for approval. Compiled per run, with its own
 * checkpointer: per-invocation state lives on the run, never in module scope.
 */
export function supervisorGraph(deps: SupervisorDeps, options: { approval: boolean }) {
  const node = (name: string, fn: (state: SupervisorState, deps: SupervisorDeps) => Promise<SupervisorState>) => traceNode(name, (state: SupervisorState) => fn(state, deps));
  return new StateGraph(SupervisorAnnotation)
    .addNode("planner", node("planner", plan))
    .addNode("approve", node("approve", approve))
    .addNode("supervisor", node("supervisor", route))
    .addNode("research", node("research", WORKER_NODES.research))
    .addNode("analysis", node("analysis", WORKER_NODES.analysis))
    .addNode("writer", node("writer", WORKER_NODES.writer))
    .addEdge(START, "planner")
    .addConditionalEdges("planner", () => (options.approval ? "approve" : "supervisor"), ["approve", "supervisor"])
    .addEdge("approve", "supervisor")
    .addConditionalEdges("supervisor", nextNode, [...WORKERS, END])
    .addEdge("research", "supervisor")
    .addEdge("analysis", "supervisor")
    .addEdge("writer", "supervisor")
    .compile({ checkpointer: new MemorySaver(), name: "supervisor" });
}

/** The route the supervisor node just chose: a worker, or the end. */
function nextNode(state: SupervisorState): (typeof WORKERS)[number] | typeof END {
  const next = state.routes.at(-1)?.next ?? "done";
  return next === "done" ? END : next;
}
