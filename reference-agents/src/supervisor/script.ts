import type { ScriptRule } from "../model/scripted.js";
import { lastUserText, systemText } from "../model/scripted.js";
import type { RouterView } from "./prompts.js";
import { PLANNER_SYSTEM, ROUTER_SYSTEM, WRITER_SYSTEM, jsonBlocks } from "./prompts.js";
import type { CostStats, Finding, Plan, RouteDecision } from "./types.js";

/**
 * The script the supervisor's default model plays: what a capable model would answer to each
 * of the supervisor's prompts, written as pure functions of the request. Each rule reads only
 * what its prompt carries (the goal, the router's view, the writer's statistics and findings),
 * so the agent's behaviour is driven by its prompts exactly as with a real model.
 */
export const supervisorScript: readonly ScriptRule[] = [
  {
    name: "planner",
    matches: (request) => systemText(request) === PLANNER_SYSTEM,
    reply: (request) => JSON.stringify(planFor(lastUserText(request)), null, 2),
  },
  {
    name: "router",
    matches: (request) => systemText(request) === ROUTER_SYSTEM,
    reply: (request) => JSON.stringify(routeFor(jsonBlocks(lastUserText(request))[0] as RouterView)),
  },
  {
    name: "writer",
    matches: (request) => systemText(request) === WRITER_SYSTEM,
    reply: (request) => {
      const [stats, findings] = jsonBlocks(lastUserText(request)) as [CostStats, Pick<Finding, "source" | "title" | "summary">[]];
      return writeReport(stats, findings);
    },
  },
];

function planFor(prompt: string): Plan {
  const goal = /^Goal: (.*)$/m.exec(prompt)?.[1] ?? prompt;
  const dataset = /^- ([a-z0-9-]+):/m.exec(prompt)?.[1] ?? "lambda-costs";
  return {
    objective: goal,
    steps: [
      { worker: "research", task: "Find what drives Lambda cost and which levers AWS documents for reducing it." },
      { worker: "analysis", task: `Break down the latest month of ${dataset} by function and estimate the arm64 saving.` },
      { worker: "writer", task: "Draft a short report with the numbers and prioritised recommendations, citing sources." },
    ],
    searchQueries: ["lambda pricing GB-second duration", "graviton arm64 price performance", "right-size lambda memory", "cloudwatch logs retention cost"],
    dataset,
  };
}

function routeFor(view: RouterView): RouteDecision {
  for (const step of view.plan) {
    const progress = view.progress[step.worker as keyof RouterView["progress"]];
    if (progress === "pending") return { next: step.worker as RouteDecision["next"], reason: `${step.worker} is pending: ${step.task}` };
  }
  return { next: "done", reason: "every step of the plan has produced its result" };
}

function writeReport(stats: CostStats, findings: readonly Pick<Finding, "source" | "title" | "summary">[]): string {
  const top = stats.topFunctions.slice(0, 3);
  const topShare = top.reduce((sum, fn) => sum + fn.share, 0);
  const direction = stats.monthOverMonth >= 0 ? "up" : "down";
  const lines = [
    `# Lambda cost review: ${stats.month}`,
    "",
    "## Summary",
    "",
    `Lambda spend was $${money(stats.totalUsd)} in ${stats.month}, ${direction} ${percent(Math.abs(stats.monthOverMonth))} on the month before. ` +
      `The ${count(top.length)} most expensive functions, ${listOf(top.map((fn) => fn.name))}, make up ${percent(topShare)} of it. ` +
      `Running the ${grouped(Math.round(stats.x86GbSeconds))} GB-seconds still billed at the x86_64 rate on arm64 would have saved about $${money(stats.armSavingsUsd)} that month.`,
    "",
    "## Where the money goes",
    "",
    "| function | cost (USD) | share |",
    "|---|---:|---:|",
    ...stats.topFunctions.map((fn) => `| ${fn.name} | ${money(fn.costUsd)} | ${percent(fn.share)} |`),
    "",
    "## Recommendations",
    "",
    `Start with ${top[0]?.name ?? "the most expensive function"}: it alone is ${percent(top[0]?.share ?? 0)} of the bill, so every lever below pays most there.`,
    "",
    ...findings.map((finding, i) => `${i + 1}. **${finding.title}.** ${firstSentence(finding.summary)} [${finding.source}]`),
    "",
    "## Sources",
    "",
    ...findings.map((finding) => `- [${finding.source}] ${finding.title}`),
  ];
  return lines.join("\n");
}

function count(n: number): string {
  return ["no", "one", "two", "three", "four", "five"][n] ?? String(n);
}

function firstSentence(text: string): string {
  return /^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;
}

function money(value: number): string {
  const [whole = "0", cents = "00"] = value.toFixed(2).split(".");
  return `${grouped(Number(whole))}.${cents}`;
}

/** Thousands separators without `toLocaleString`, whose output depends on the host's ICU data. */
function grouped(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}
