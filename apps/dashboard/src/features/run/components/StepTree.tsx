import { formatDuration } from "../../../shared/fns/format";
import { toTreeItems } from "../fns/tree";
import type { StepTree as StepTreeData } from "../types";
import { StepTreeList } from "./StepTreeList";

/**
 * The run's steps as an indented list of links (`?step=KEY`), each with its status, kind, name,
 * duration and a bar placing it in the run's time window.
 */
export function StepTree({ runId, tree, selected }: { runId: string; tree: StepTreeData; selected: number }) {
  return (
    <section className="panel tree-panel" aria-labelledby="steps-heading">
      <div className="panel-head tree-cols">
        <h2 id="steps-heading">
          Steps <span className="muted small">{tree.rows.length}</span>
        </h2>
        <span className="num">Duration</span>
        <span className="timeline-scale" aria-label={`Timeline from 0 to ${formatDuration(tree.durationMs)}`}>
          <span>0</span>
          <span>{formatDuration(tree.durationMs)}</span>
        </span>
      </div>
      <StepTreeList runId={runId} items={toTreeItems(tree.rows)} selected={selected} />
    </section>
  );
}
