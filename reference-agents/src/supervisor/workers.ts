import { interrupt } from "@langchain/langgraph";
import { humanInput } from "@tracewright/instrument";
import type { RetryPolicy } from "../calls.js";
import { callModel, callTool, streamModel } from "../calls.js";
import { PlanRejectedError, ReferenceAgentError, RoutingError } from "../errors.js";
import type { FaultName } from "../faults.js";
import type { ChatModel } from "../model/types.js";
import { replyText } from "../model/types.js";
import type { StatsGroup, StatsResult } from "../tools/stats.js";
import { round } from "../tools/stats.js";
import type { Toolbox } from "../tools/toolbox.js";
import { ToolName } from "../tools/toolbox.js";
import { parseApproval, parsePlan, parseRoute } from "./parse.js";
import { plannerRequest, routerRequest, writerRequest } from "./prompts.js";
import type { ApprovalRequest, CostStats, Finding, Plan, SupervisorState, Worker } from "./types.js";

/** Routing decisions after which a run that has not reached `done` fails. */
export const MAX_ROUTING_DECISIONS = 8;

/** What `approve` asks. */
export const APPROVAL_QUESTION = "Approve this plan before the supervisor starts on it?";

/** What the nodes work with besides their state; built once per run. */
export interface SupervisorDeps {
  model: ChatModel;
  tools: Toolbox;
  toolTimeoutMs: number;
  retry: RetryPolicy;
  /** The injected fault; only `agent_bug` is seen here, the others live in `model` and `tools`. */
  fault: FaultName | undefined;
}

/** Search hits `research` reads per query. */
const HITS_PER_QUERY = 2;
/** Functions `analysis` reports by name. */
const TOP_FUNCTIONS = 5;
/** Lambda duration prices per GB-second, us-east-1 (doc://pricing). */
const X86_GB_SECOND_USD = 0.0000166667;
const ARM_GB_SECOND_USD = 0.0000133334;

/** `plan`: asks the planner for a plan and parses it. */
export async function plan(state: SupervisorState, deps: SupervisorDeps): Promise<SupervisorState> {
  const response = await callModel(deps.model, "planner", plannerRequest(deps.model.id, state.goal), deps.retry);
  return { ...state, plan: parsePlan(response) };
}

/**
 * `approve`: asks a human to approve the plan. The first pass interrupts the graph (LangGraph's
 * `interrupt`, a suspended `human` step); the resumed pass gets the answer, recorded as the
 * step's output. A rejected plan ends the run.
 */
export async function approve(state: SupervisorState): Promise<SupervisorState> {
  const request: ApprovalRequest = { question: APPROVAL_QUESTION, plan: requirePlan(state, "approve") };
  const answer = parseApproval(await humanInput(request, (q) => interrupt<ApprovalRequest, unknown>(q)));
  if (!answer.approved) throw new PlanRejectedError(answer.comment);
  return { ...state, approval: answer };
}

/** `supervisor`: asks the router where the work goes next and records the decision. */
export async function route(state: SupervisorState, deps: SupervisorDeps): Promise<SupervisorState> {
  if (state.routes.length === MAX_ROUTING_DECISIONS) {
    throw new RoutingError(`no "done" after ${MAX_ROUTING_DECISIONS} routing decisions (${state.routes.map((r) => r.next).join(" → ")})`);
  }
  const response = await callModel(deps.model, "router", routerRequest(deps.model.id, state), deps.retry);
  return { ...state, routes: [...state.routes, parseRoute(response)] };
}

/** `research`: searches for each of the plan's queries and reads the top hits not read yet. */
export async function research(state: SupervisorState, deps: SupervisorDeps): Promise<SupervisorState> {
  const { searchQueries } = requirePlan(state, "research");
  const seen = new Set(state.findings.map((finding) => finding.source));
  const toRead: { id: string; query: string }[] = [];
  for (const query of searchQueries) {
    const { results } = await callTool(ToolName.WEB_SEARCH, { query, limit: 3 }, (args, options) => deps.tools.webSearch(args, options), {
      timeoutMs: deps.toolTimeoutMs,
      resource: JSON.stringify(query),
    });
    for (const hit of results.slice(0, HITS_PER_QUERY)) {
      if (seen.has(hit.id)) continue;
      seen.add(hit.id);
      toRead.push({ id: hit.id, query });
    }
  }
  const findings: Finding[] = [...state.findings];
  for (const { id, query } of toRead) {
    const doc = await callTool(ToolName.FETCH_DOCUMENT, { id }, (args, options) => deps.tools.fetchDocument(args, options), { timeoutMs: deps.toolTimeoutMs, resource: id });
    findings.push({ source: doc.id, title: doc.title, summary: doc.summary, query });
  }
  return { ...state, findings };
}

/**
 * `analysis`: the month-by-month trend, the latest month by function, and the GB-seconds still
 * billed at the x86_64 rate, from which the arm64 saving follows.
 */
export async function analysis(state: SupervisorState, deps: SupervisorDeps): Promise<SupervisorState> {
  const { dataset } = requirePlan(state, "analysis");
  const stats = (args: { metric: string; groupBy: string; where?: Record<string, string> }): Promise<StatsResult> =>
    callTool(ToolName.COMPUTE_STATS, { dataset, ...args }, (a, options) => deps.tools.computeStats(a, options), { timeoutMs: deps.toolTimeoutMs, resource: dataset });

  const byMonth = await stats({ metric: "cost_usd", groupBy: "month" });
  const months = [...byMonth.groups].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const latest = months.at(-1);
  if (latest === undefined) throw new ReferenceAgentError("NO_DATA", `analysis: dataset "${dataset}" has no rows to analyse`);
  const byFunction = await stats({ metric: "cost_usd", groupBy: "function", where: { month: latest.key } });
  const byArchitecture = await stats({ metric: "gb_seconds", groupBy: "architecture", where: { month: latest.key } });

  const x86GbSeconds = byArchitecture.groups.find((group) => group.key === "x86_64")?.total ?? 0;
  const result: CostStats = {
    dataset,
    month: latest.key,
    totalUsd: byFunction.total,
    monthOverMonth: monthOverMonth(months, deps.fault === "agent_bug"),
    topFunctions: byFunction.groups.slice(0, TOP_FUNCTIONS).map((group) => ({ name: group.key, costUsd: group.total, share: group.share })),
    x86GbSeconds,
    armSavingsUsd: round(x86GbSeconds * (X86_GB_SECOND_USD - ARM_GB_SECOND_USD), 2),
  };
  return { ...state, stats: result };
}

/**
 * The latest month's change against the one before, from month groups in ascending order.
 * `offByOne` is the `agent_bug` fault: the index a hurried edit gets wrong, reading one past
 * the end of the array, as real agent code does.
 */
function monthOverMonth(months: readonly StatsGroup[], offByOne: boolean): number {
  const last = months.length - 1;
  if (last < 1) return 0;
  const current = months[offByOne ? last + 1 : last]!;
  const previous = months[last - 1]!;
  return round((current.total - previous.total) / previous.total, 4);
}

/** `writer`: asks the model to draft the report from the statistics and findings. */
export async function writer(state: SupervisorState, deps: SupervisorDeps): Promise<SupervisorState> {
  if (state.stats === null) throw new RoutingError("writer: routed here before analysis produced statistics");
  // The report is streamed, as a user-facing answer is: the step records every piece.
  const response = await streamModel(deps.model, "writer", writerRequest(deps.model.id, state), deps.retry);
  return { ...state, draft: replyText(response) };
}

export const WORKER_NODES: Readonly<Record<Worker, (state: SupervisorState, deps: SupervisorDeps) => Promise<SupervisorState>>> = { research, analysis, writer };

function requirePlan(state: SupervisorState, worker: Worker | "approve"): Plan {
  if (state.plan === null) throw new RoutingError(`${worker}: routed here before a plan was made`);
  return state.plan;
}
