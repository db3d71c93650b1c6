import type { ConverseRequest } from "../model/types.js";
import type { SupervisorState } from "./types.js";

/**
 * The supervisor's prompts. Each request carries everything the model needs in its messages,
 * with structured parts as fenced JSON, so a request is a pure function of the state: the
 * same state always sends the same request, which is what lets a replay match it.
 */

export const PLANNER_SYSTEM = [
  "You are the planner of a small research team that answers questions about cloud costs.",
  "Workers: research (searches and reads documents), analysis (computes statistics over a dataset), writer (drafts the report).",
  'Reply with one JSON object and nothing else: {"objective": string, "steps": [{"worker": "research" | "analysis" | "writer", "task": string}], "searchQueries": string[], "dataset": string}.',
].join("\n");

export const ROUTER_SYSTEM = [
  "You are the supervisor of a small research team. Given the plan and the progress so far, decide who works next.",
  'Reply with one JSON object and nothing else: {"next": "research" | "analysis" | "writer" | "done", "reason": string}.',
  'Reply "done" only when every step of the plan has produced its result.',
].join("\n");

export const WRITER_SYSTEM = [
  "You are the writer of a small research team. Write a concise report in Markdown for an engineering manager:",
  "a `#` title, a summary with the key numbers, where the money goes, recommendations that each cite their source as [doc://…], and the sources.",
  "Use only the statistics and findings you are given.",
].join("\n");

/** The datasets the planner may choose from, as the planner prompt lists them. */
export const DATASETS = { "lambda-costs": "monthly AWS Lambda cost per function (columns: month, function, service, architecture, memory_mb, invocations, avg_duration_ms, gb_seconds, cost_usd)" } as const;

export function plannerRequest(model: string, goal: string): ConverseRequest {
  const datasets = Object.entries(DATASETS).map(([name, description]) => `- ${name}: ${description}`);
  return {
    model,
    system: [{ text: PLANNER_SYSTEM }],
    messages: [{ role: "user", content: [{ text: [`Goal: ${goal}`, "", "Datasets:", ...datasets].join("\n") }] }],
    inferenceConfig: { maxTokens: 800, temperature: 0 },
  };
}

/** What the router sees of the state: the plan and what each worker has produced so far. */
export interface RouterView {
  goal: string;
  plan: { worker: string; task: string }[];
  progress: { research: string; analysis: string; writer: string };
  history: string[];
}

export function routerView(state: SupervisorState): RouterView {
  return {
    goal: state.goal,
    plan: state.plan?.steps ?? [],
    progress: {
      research: state.findings.length > 0 ? `done: ${state.findings.length} documents read` : "pending",
      analysis: state.stats !== null ? `done: statistics for ${state.stats.month}` : "pending",
      writer: state.draft !== null ? "done: draft written" : "pending",
    },
    history: state.routes.map((route) => route.next),
  };
}

export function routerRequest(model: string, state: SupervisorState): ConverseRequest {
  return {
    model,
    system: [{ text: ROUTER_SYSTEM }],
    messages: [{ role: "user", content: [{ text: `Where should the work go next?\n\n${jsonBlock(routerView(state))}` }] }],
    inferenceConfig: { maxTokens: 200, temperature: 0 },
  };
}

export function writerRequest(model: string, state: SupervisorState): ConverseRequest {
  const findings = state.findings.map(({ source, title, summary }) => ({ source, title, summary }));
  return {
    model,
    system: [{ text: WRITER_SYSTEM }],
    messages: [
      {
        role: "user",
        content: [{ text: [`Goal: ${state.goal}`, "", "Statistics:", jsonBlock(state.stats), "", "Findings:", jsonBlock(findings)].join("\n") }],
      },
    ],
    inferenceConfig: { maxTokens: 2000, temperature: 0 },
  };
}

function jsonBlock(value: unknown): string {
  return `\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;
}

/** The fenced JSON blocks of a text, parsed, in order. */
export function jsonBlocks(text: string): unknown[] {
  return [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((match) => JSON.parse(match[1] ?? "null") as unknown);
}
