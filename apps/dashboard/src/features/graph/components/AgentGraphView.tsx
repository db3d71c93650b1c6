import type { AgentGraph, GraphEdge } from "../fns/graph";

function Edge({ edge }: { edge: GraphEdge }) {
  return (
    <li data-testid={edge.via === undefined ? "graph-route" : "graph-hop"} data-failed={edge.failed > 0 ? "true" : "false"}>
      <span className="graph-node">{edge.from}</span>
      <span className="graph-arrow" aria-hidden="true">
        {" "}
        →{" "}
      </span>
      {edge.via === undefined ? null : (
        <>
          <span className="graph-via mono" title="queue or bus">
            {edge.via}
          </span>
          <span className="graph-arrow" aria-hidden="true">
            {" "}
            →{" "}
          </span>
        </>
      )}
      <span className="graph-node">{edge.to}</span>
      <span className="muted">
        {" "}
        ×{edge.count}
        {edge.failed > 0 ? ` (${edge.failed} failed ✕)` : ""}
      </span>
    </li>
  );
}

/** The routes a supervisor took and the hops a choreography made, as text: readable without colour. */
export function AgentGraphView({ graph }: { graph: AgentGraph }) {
  if (graph.routes.length === 0 && graph.hops.length === 0) return null;
  return (
    <details className="panel agent-graph" data-testid="agent-graph" open>
      <summary>
        Agent graph <span className="muted">{graph.nodes.length} nodes and agents</span>
      </summary>
      {graph.routes.length === 0 ? null : (
        <section aria-label="Routes taken">
          <h3>Routes taken</h3>
          <ol className="graph-edges">
            {graph.routes.map((e) => (
              <Edge key={`${e.from}→${e.to}`} edge={e} />
            ))}
          </ol>
        </section>
      )}
      {graph.hops.length === 0 ? null : (
        <section aria-label="Hops between agents">
          <h3>Hops between agents</h3>
          <ol className="graph-edges">
            {graph.hops.map((e) => (
              <Edge key={`${e.from}→${e.via ?? ""}→${e.to}`} edge={e} />
            ))}
          </ol>
        </section>
      )}
    </details>
  );
}
