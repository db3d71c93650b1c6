import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { RunHeader } from "../../../features/run/components/RunHeader";
import { StepDetail } from "../../../features/run/components/StepDetail";
import { StepTree } from "../../../features/run/components/StepTree";
import { buildStepTree, selectStep } from "../../../features/run/fns/tree";
import { loadRun } from "../../../features/run/server/load-run";
import { shortId } from "../../../shared/fns/format";
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

/** `/runs/RUN_ID`: the run's header, its step tree, and the step chosen by `?step=KEY`. */
export default async function RunPage({ params, searchParams }: Props) {
  const { runId } = await params;
  const detail = await loadRun(runId);
  if (detail === undefined) notFound();

  const tree = buildStepTree(detail.steps, detail.run);
  const selection = selectStep(tree.rows, firstParam(await searchParams, "step"));

  return (
    <main id="main" className="page run-page">
      <RunHeader run={detail.run} />
      <div className="run-body">
        <StepTree runId={detail.run.runId} tree={tree} selected={selection.index} />
        <StepDetail runId={detail.run.runId} tree={tree} selection={selection} />
      </div>
    </main>
  );
}
