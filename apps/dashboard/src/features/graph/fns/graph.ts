import type { Step } from "@tracewright/store";

/** One edge of a run's agent graph, with how often it was taken and whether any taking failed. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** The queue or bus between two agents (a hop), absent for a route between nodes. */
  readonly via?: string;
  readonly count: number;
  readonly failed: number;
}

export interface AgentGraph {
  /** Nodes and agents, in the order first entered. */
  readonly nodes: readonly string[];
  /** Supervisor-style routes: which node ran after which, under the same parent. */
  readonly routes: readonly GraphEdge[];
  /** Choreography hops: agent → message (queue or bus) → the agent that consumed it. */
  readonly hops: readonly GraphEdge[];
}

const START = "start";

/**
 * The agent graph of a run, from its steps in canonical order (one pass, no recursion): routes
 * are consecutive `node` steps under one parent (the route the supervisor took, loops
 * included); hops are `message` steps and the `agent` runs started under them (each delivery,
 * redeliveries included). The producing agent of a hop is the nearest agent above the message.
 */
export function buildAgentGraph(steps: readonly Step[]): AgentGraph {
  const nodes: string[] = [];
  const seen = new Set<string>();
  const enter = (name: string): void => {
    if (!seen.has(name)) {
      seen.add(name);
      nodes.push(name);
    }
  };
  const routes = new Map<string, { from: string; to: string; count: number; failed: number }>();
  const hops = new Map<string, { from: string; to: string; via: string; count: number; failed: number }>();
  const lastNodeUnder = new Map<string, string>();
  const byKey = new Map<string, Step>();
  /** The nearest agent at or above each step (by key). */
  const agentOf = new Map<string, string>();
  for (const step of steps) {
    byKey.set(step.key, step);
    const parentAgent = step.parentKey === null ? undefined : agentOf.get(step.parentKey);
    agentOf.set(step.key, step.kind === "agent" ? step.name : (parentAgent ?? step.name));
    if (step.kind === "agent") enter(step.name);
    if (step.kind === "node" && step.parentKey !== null) {
      enter(step.name);
      const from = lastNodeUnder.get(step.parentKey) ?? START;
      lastNodeUnder.set(step.parentKey, step.name);
      const id = `${from}→${step.name}`;
      const edge = routes.get(id) ?? { from, to: step.name, count: 0, failed: 0 };
      edge.count++;
      if (step.status === "error") edge.failed++;
      routes.set(id, edge);
    }
    if (step.kind === "agent" && step.parentKey !== null) {
      const message = byKey.get(step.parentKey);
      if (message?.kind === "message") {
        const from = (message.parentKey === null ? undefined : agentOf.get(message.parentKey)) ?? START;
        const id = `${from}→${message.name}→${step.name}`;
        const edge = hops.get(id) ?? { from, to: step.name, via: message.name, count: 0, failed: 0 };
        edge.count++;
        if (step.status === "error") edge.failed++;
        hops.set(id, edge);
      }
    }
  }
  return { nodes, routes: [...routes.values()], hops: [...hops.values()] };
}
