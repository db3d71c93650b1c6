import type { RunContext, RunOptions, RunResult } from "@tracewright/instrument";
import { consume, node, publish, runWithResult } from "@tracewright/instrument";
import { callModel, callTool, DEFAULT_RETRY } from "../calls.js";
import type { RetryPolicy } from "../calls.js";
import { ModelOutputError, ReferenceAgentError } from "../errors.js";
import type { FaultName } from "../faults.js";
import { withModelFaults, withToolFaults } from "../faults.js";
import type { AgentRunOptions } from "../supervisor/agent.js";
import { resolveModel } from "../model/resolve.js";
import { lastUserText, systemText } from "../model/scripted.js";
import type { ScriptRule } from "../model/scripted.js";
import type { ChatModel } from "../model/types.js";
import { replyText } from "../model/types.js";
import type { StatsResult } from "../tools/stats.js";
import { createToolbox, ToolName } from "../tools/toolbox.js";
import type { Toolbox } from "../tools/toolbox.js";
import type { MessageBus, ReceivedMessage, Rule } from "./bus.js";
import { InProcessBus } from "./bus.js";

/**
 * The choreography reference agent: no supervisor; research, analysis and writer agents react
 * to events on a bus (EventBridge rules into SQS queues), each a Lambda-style handler. One user
 * goal is one run: the entry publishes `goal.received` and drives the bus until `report.ready`
 * arrives — or a message lands in a dead-letter queue, which fails the run.
 */
export const CHOREOGRAPHY_GOAL = "Find the biggest savings on our AWS Lambda bill and say what to change first.";

export const RULES: readonly Rule[] = [
  { name: "research-on-goal", detailType: ["goal.received"], queue: "research" },
  { name: "analysis-on-research", detailType: ["research.done"], queue: "analysis" },
  { name: "writer-on-analysis", detailType: ["analysis.done"], detail: { dataset: ["lambda-costs"] }, queue: "writer" },
  { name: "results", detailType: ["report.ready"], queue: "results" },
];

const WORKER_QUEUES = ["research", "analysis", "writer"] as const;
const MONTH = "2025-09";

/** A message a handler can never process: it ends in the dead-letter queue. */
export class PoisonMessageError extends ReferenceAgentError {
  override name = "PoisonMessageError";
  constructor(message: string) {
    super("POISON_MESSAGE", message);
  }
}

/** A message that was received `maxReceiveCount` times without success: the run fails with it. */
export class DeadLetterError extends ReferenceAgentError {
  override name = "DeadLetterError";
  constructor(queue: string, message: ReceivedMessage, cause: unknown) {
    super("DEAD_LETTER", `${message.event.detailType} (${message.messageId}) moved to the ${queue} dead-letter queue after ${message.receiveCount} receives; last error: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
  }
}

export interface ChoreographyInput {
  goal: string;
  scenario?: string;
  fault?: ChoreographyFault;
}

export type ChoreographyFault = FaultName | "poison_message";

export interface ChoreographyOptions extends ChoreographyInput, AgentRunOptions {
  /**
   * The bus the agents talk through. Default: a fresh {@link InProcessBus} over {@link RULES}
   * (simulated time, deterministic). Another bus (e.g. `AwsBus`) is polled in real time.
   */
  bus?: MessageBus;
  /** With a bus other than the in-process one: the pause between empty polls. Default: 50 ms. */
  pollIntervalMs?: number;
  /** With a bus other than the in-process one: how long to poll without any message before giving up. Default: 30,000 ms. */
  idleTimeoutMs?: number;
}

export interface ChoreographyReport {
  goal: string;
  markdown: string;
  sources: string[];
  generatedAt: string;
}

interface Deps {
  model: ChatModel;
  tools: Toolbox;
  toolTimeoutMs: number;
  retry: RetryPolicy;
  bug: boolean;
  bus: MessageBus;
  pollIntervalMs: number;
  idleTimeoutMs: number;
}

/** The script the choreography's scripted model plays: same request, same reply. */
export const choreographyScript: readonly ScriptRule[] = [
  {
    name: "research-queries",
    matches: (r) => systemText(r).startsWith("You choose web searches"),
    reply: () => JSON.stringify({ queries: ["lambda pricing GB-second duration", "graviton arm64 price performance"], documents: ["doc://pricing", "doc://graviton"] }),
  },
  {
    name: "writer-report",
    matches: (r) => systemText(r).startsWith("You write cost reports"),
    reply: (r) => {
      const facts = lastUserText(r);
      return `# Lambda cost review\n\n${facts}\n\nStart with the largest function: move it to arm64 and right-size its memory.`;
    },
  },
];

function makeDeps(options: Omit<ChoreographyOptions, "goal">): Deps {
  const modelFault = options.fault === "poison_message" ? undefined : options.fault;
  return {
    model: withModelFaults(resolveModel(options.model, choreographyScript, options.latencyScale ?? 1), modelFault),
    tools: withToolFaults(options.tools ?? createToolbox(), modelFault),
    toolTimeoutMs: options.toolTimeoutMs ?? 200,
    retry: options.retry ?? DEFAULT_RETRY,
    bug: options.fault === "agent_bug",
    bus: options.bus ?? new InProcessBus(RULES, { visibilityTimeoutMs: 30_000, maxReceiveCount: 3 }),
    pollIntervalMs: options.pollIntervalMs ?? 50,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
  };
}

/**
 * Runs one goal as one run. `runOptions` (or `options.runOptions`; the argument wins) are the
 * root run's options: attributes, links, replay's interceptor, a tracer.
 */
export function runChoreography(options: ChoreographyOptions, runOptions?: RunOptions): Promise<RunResult<ChoreographyReport>> {
  const input: ChoreographyInput = {
    goal: options.goal,
    ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
    ...(options.fault === undefined ? {} : { fault: options.fault }),
  };
  const deps = makeDeps(options);
  return runWithResult("choreography", input, (ctx) => choreograph(ctx, deps), runOptions ?? options.runOptions);
}

/**
 * One handler invoked alone on one event, as a Lambda would be: what replaying a single
 * invocation of a recorded choreography runs. `fault` is the recorded run's.
 */
export function invokeHandler(queue: "research" | "analysis" | "writer", event: Record<string, unknown>, options: Omit<ChoreographyOptions, "goal"> = {}): Promise<RunResult<unknown>> {
  const deps = makeDeps(options);
  return runWithResult(queue, event, (ctx) => HANDLERS[queue](ctx.state, deps, ctx), options.runOptions);
}

export const HANDLER_NAMES = ["research", "analysis", "writer"] as const;

async function choreograph(ctx: RunContext<ChoreographyInput>, deps: Deps): Promise<ChoreographyReport> {
  const detail = ctx.state.fault === "poison_message" ? { request: ctx.state.goal } : { goal: ctx.state.goal };
  await node("intake", ctx.state, (state) => emit(deps.bus, "goal.received", detail).then(() => state));
  return drive(deps);
}

/**
 * Publishes an event as a recorded `message` step, carrying the run to whoever consumes it. On
 * replay the send is served from the recording; the in-process bus is part of this program, so
 * the recorded event is delivered to it again, in the recorded order.
 */
async function emit(bus: MessageBus, detailType: string, detail: Record<string, unknown>): Promise<string> {
  const event = { detailType, detail };
  const published = await publish({ system: "aws.eventbridge", destination: detailType }, event, (message, carried) => bus.putEvent({ ...message, carried }));
  if (!published.sent) await bus.putEvent({ ...event, carried: published.carried });
  return published.messageId;
}

/** The Lambda service's part: poll each queue, invoke its handler, delete on success. */
async function drive(deps: Deps): Promise<ChoreographyReport> {
  const bus = deps.bus;
  const simulated = bus instanceof InProcessBus;
  const lastError = new Map<string, unknown>();
  let idleMs = 0;
  for (let round = 0; !simulated || round < 200; round++) {
    let received = 0;
    for (const queue of WORKER_QUEUES) {
      for (const message of await bus.receive(queue, 1)) {
        received++;
        const result = await consume(queue, { system: "aws_sqs", destination: queue }, { message: message.event.detail, carried: message.event.carried, attempt: message.receiveCount - 1, messageId: message.messageId }, (c) => HANDLERS[queue](c.state, deps, c));
        if (result.status === "ok") await bus.delete(queue, message.receiptHandle);
        else lastError.set(message.messageId, result.error);
      }
      const dead = (await bus.deadLetters(queue))[0];
      if (dead !== undefined) throw new DeadLetterError(queue, dead, lastError.get(dead.messageId));
    }
    const done = (await bus.receive("results", 1))[0];
    if (done !== undefined) {
      await bus.delete("results", done.receiptHandle);
      return done.event.detail.report as ChoreographyReport;
    }
    if (received > 0) idleMs = 0;
    else if (!simulated) {
      // A real bus: wait for the next poll, as Lambda's event source mapping does.
      if (idleMs >= deps.idleTimeoutMs) throw new ReferenceAgentError("CHOREOGRAPHY_STUCK", `No message arrived for ${deps.idleTimeoutMs} ms and no report either: an agent dropped the flow.`);
      await new Promise((resolve) => setTimeout(resolve, deps.pollIntervalMs));
      idleMs += deps.pollIntervalMs;
    } else {
      const next = bus.nextVisibleAt();
      if (next === undefined) throw new ReferenceAgentError("CHOREOGRAPHY_STUCK", "No message is queued and no report arrived: an agent dropped the flow.");
      bus.advance(next - bus.clock);
    }
  }
  throw new ReferenceAgentError("CHOREOGRAPHY_STUCK", "The choreography did not finish within 200 polling rounds.");
}

type Handler = (detail: Record<string, unknown>, deps: Deps, ctx: RunContext<Record<string, unknown>>) => Promise<unknown>;

const HANDLERS: Record<(typeof WORKER_QUEUES)[number], Handler> = {
  async research(detail, deps) {
    const goal = detail.goal;
    if (typeof goal !== "string" || goal === "") throw new PoisonMessageError(`goal.received without a goal: ${JSON.stringify(detail)}`);
    const reply = await callModel(deps.model, "researcher", { model: deps.model.id, system: [{ text: "You choose web searches and documents for a research goal. Answer JSON." }], messages: [{ role: "user", content: [{ text: goal }] }] }, deps.retry);
    let plan: { queries: string[]; documents: string[] };
    try {
      plan = JSON.parse(replyText(reply)) as typeof plan;
    } catch (cause) {
      throw new ModelOutputError(`researcher reply is not valid JSON (stopReason: ${reply.stopReason})`, replyText(reply), { cause });
    }
    const hits = await Promise.all(plan.queries.map((query) => callTool(ToolName.WEB_SEARCH, { query, limit: 2 }, (a, o) => deps.tools.webSearch(a, o), { timeoutMs: deps.toolTimeoutMs, resource: query })));
    const docs = [];
    for (const id of plan.documents) docs.push(await callTool(ToolName.FETCH_DOCUMENT, { id }, (a, o) => deps.tools.fetchDocument(a, o), { timeoutMs: deps.toolTimeoutMs, resource: id }));
    const findings = docs.map((d) => ({ source: d.id, title: d.title, summary: d.summary }));
    await emit(deps.bus, "research.done", { goal, findings, searched: hits.map((h) => h.query) });
    return { findings: findings.length };
  },

  async analysis(detail, deps) {
    const stats: StatsResult = await callTool(ToolName.COMPUTE_STATS, { dataset: "lambda-costs", metric: "cost_usd", groupBy: "function", where: { month: MONTH } }, (a, o) => deps.tools.computeStats(a, o), { timeoutMs: deps.toolTimeoutMs, resource: "lambda-costs" });
    // The flag-switched bug: an off-by-one past the end of the groups.
    const top = deps.bug ? stats.groups.slice(0, stats.groups.length + 1).map((_, i) => stats.groups[i + 1]!.key) : stats.groups.slice(0, 3).map((g) => g.key);
    await emit(deps.bus, "analysis.done", { ...detail, dataset: "lambda-costs", month: MONTH, total: stats.total, top });
    return { top };
  },

  async writer(detail, deps, ctx) {
    const facts = `Spend in ${String(detail.month)}: $${Number(detail.total).toFixed(2)}. Largest functions: ${(detail.top as string[]).join(", ")}.`;
    const reply = await callModel(deps.model, "writer", { model: deps.model.id, system: [{ text: "You write cost reports from facts." }], messages: [{ role: "user", content: [{ text: facts }] }] }, deps.retry);
    const sources = ((detail.findings as { source: string }[] | undefined) ?? []).map((f) => f.source);
    await emit(deps.bus, "report.ready", { report: { goal: detail.goal, markdown: replyText(reply), sources, generatedAt: new Date(ctx.now()).toISOString() } });
    return { words: replyText(reply).split(/\s+/).length };
  },
};
