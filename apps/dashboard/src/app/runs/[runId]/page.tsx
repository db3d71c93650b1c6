import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { AgentGraphView } from "../../../features/graph/components/AgentGraphView";
import { buildAgentGraph } from "../../../features/graph/fns/graph";
import { ComparePicker } from "../../../features/compare/components/ComparePicker";
import { LiveRefresh } from "../../../features/run/components/LiveRefresh";
import { RunExplorer } from "../../../features/run/components/RunExplorer";
import { replayOffer } from "../../../features/replay/server/run-replay";
import { RunHeader } from "../../../features/run/components/RunHeader";
import { buildStepTree, packTreeItems, selectStep, toTreeItems } from "../../../features/run/fns/tree";
import { loadRun, loadSiblingRuns, resolveShortRunId } from "../../../features/run/server/load-run";
import { StateView } from "../../../features/step/components/StateView";
import { INLINE_STATE_BYTES, toStepDetail, wholeState } from "../../../features/step/fns/detail";
import { formatBytes } from "../../../shared/fns/format";
import { shortId } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import { firstParam } from "../../../shared/fns/search-params";
import type { SearchParams } from "../../../shared/fns/search-params";

interface Props {
  params: Promise<{ runId: string }>;
  searchParams: Promise<SearchParams>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { runId } = await params;
  const detail = await loadRun(runId);
  if (detail === undefined) return { title: "Run not found · Tracewright" };
  const agent = detail.run.agent === "" ? "Run" : detail.run.agent;
  return { title: `${agent} ${shortId(runId)} (${detail.run.status}) · Tracewright` };
}

/**
 * `/runs/RUN_ID`: the run's header, its steps (a virtualized tree beside a waterfall) and the
 * step chosen by `?step=KEY`; while the run is running, its input too (from its start). The page ships the tree as compact rows and the selected step's
 * detail only; every other step's detail is fetched when it is opened.
 */
export default async function RunPage({ params, searchParams }: Props) {
  const { runId } = await params;
  const detail = await loadRun(runId);
  if (detail === undefined) {
    // A short id, as the pages show it, opens its run when it names one.
    const full = await resolveShortRunId(runId);
    if (full !== undefined) redirect(runHref(full, firstParam(await searchParams, "step")));
    notFound();
  }

  const tree = buildStepTree(detail.steps, detail.run);
  const selection = selectStep(tree.rows, firstParam(await searchParams, "step"));
  const selectedRow = tree.rows[selection.index];
  const siblings = await loadSiblingRuns(detail.run);
  // Within the page's budget for a state (the page is sent again at every live refresh).
  const input = detail.run.status === "running" && detail.input !== undefined ? wholeState(detail.input) : undefined;

  return (
    <main id="main" className="page run-page">
      <RunHeader run={detail.run} offer={await replayOffer()} compare={<ComparePicker run={detail.run} others={siblings} />} />
      {detail.run.status === "running" ? <LiveRefresh version={`${detail.run.steps}:${detail.run.errors}:${detail.run.durationMs}`} /> : null}
      {/* Known from the run's first export: what it was asked, while its root step has not ended. */}
      {input === undefined ? null : (
        <div className="run-input" data-testid="run-input-panel">
          {input.bytes <= INLINE_STATE_BYTES ? (
            <StateView title="Run input" state={input} testId="run-input" />
          ) : (
            <p className="muted">The run&apos;s input is {formatBytes(input.bytes)}: it is shown with the root step once the run has ended.</p>
          )}
        </div>
      )}
      <AgentGraphView graph={buildAgentGraph(detail.steps)} />
      <RunExplorer
        runId={detail.run.runId}
        rows={packTreeItems(toTreeItems(tree.rows))}
        windowMs={tree.durationMs}
        windowStartMs={tree.startMs}
        initialIndex={selection.index}
        running={detail.run.status === "running"}
        initialDetail={selectedRow === undefined ? null : toStepDetail(detail.run.runId, selectedRow.step)}
        {...(selection.missingKey === undefined ? {} : { missingKey: selection.missingKey })}
      />
    </main>
  );
}
