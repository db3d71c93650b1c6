import { ModelOutputError, ReferenceAgentError } from "../errors.js";
import type { ConverseResponse } from "../model/types.js";
import { replyText } from "../model/types.js";
import type { ApprovalAnswer, Plan, PlanStep, Route, RouteDecision, Worker } from "./types.js";
import { WORKERS } from "./types.js";

/**
 * Parsing the model's structured replies. A reply that is not the JSON the prompt asked for is
 * a {@link ModelOutputError} naming the step, the stop reason and what was wrong: a cut-off
 * reply (`max_tokens`) reads differently from a model that ignored the format.
 */

export function parsePlan(response: ConverseResponse): Plan {
  const value = parseJsonReply("planner", response);
  const fail = (what: string) => invalid("planner", response, what);
  if (!isRecord(value)) return fail("expected a JSON object");
  const { objective, steps, searchQueries, dataset } = value;
  if (typeof objective !== "string") return fail('"objective" must be a string');
  if (!Array.isArray(steps) || steps.length === 0) return fail('"steps" must be a non-empty array');
  const parsedSteps: PlanStep[] = steps.map((step, i) => {
    if (!isRecord(step) || !isWorker(step.worker) || typeof step.task !== "string") {
      return fail(`steps[${i}] must be {"worker": ${WORKERS.map((w) => `"${w}"`).join(" | ")}, "task": string}`);
    }
    return { worker: step.worker, task: step.task };
  });
  if (!Array.isArray(searchQueries) || !searchQueries.every((q): q is string => typeof q === "string" && q.trim() !== "")) {
    return fail('"searchQueries" must be an array of non-empty strings');
  }
  if (typeof dataset !== "string" || dataset === "") return fail('"dataset" must be a non-empty string');
  return { objective, steps: parsedSteps, searchQueries, dataset };
}

export function parseRoute(response: ConverseResponse): RouteDecision {
  const value = parseJsonReply("router", response);
  if (!isRecord(value) || !isRoute(value.next)) {
    return invalid("router", response, `expected {"next": ${[...WORKERS, "done"].map((w) => `"${w}"`).join(" | ")}, "reason": string}`);
  }
  return { next: value.next, reason: typeof value.reason === "string" ? value.reason : "" };
}

/** The reply's JSON, tolerating the Markdown fence models like to wrap it in. */
function parseJsonReply(step: string, response: ConverseResponse): unknown {
  const text = replyText(response);
  const unfenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text)?.[1] ?? text;
  try {
    return JSON.parse(unfenced) as unknown;
  } catch (error) {
    throw new ModelOutputError(`${step} reply is not valid JSON (stopReason: ${response.stopReason}): ${(error as Error).message}`, text, { cause: error });
  }
}

function invalid(step: string, response: ConverseResponse, what: string): never {
  throw new ModelOutputError(`${step} reply has the wrong shape: ${what}`, replyText(response));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isWorker(value: unknown): value is Worker {
  return (WORKERS as readonly unknown[]).includes(value);
}

function isRoute(value: unknown): value is Route {
  return value === "done" || isWorker(value);
}

/** A human's answer to the plan, checked: `{ approved: boolean, comment?: string }`. */
export function parseApproval(answer: unknown): ApprovalAnswer {
  if (!isRecord(answer) || typeof answer.approved !== "boolean" || (answer.comment !== undefined && typeof answer.comment !== "string")) {
    throw new ReferenceAgentError("APPROVAL_INVALID", `a plan approval must be {"approved": boolean, "comment"?: string}; got ${JSON.stringify(answer) ?? String(answer)}`);
  }
  return { approved: answer.approved, comment: answer.comment ?? "" };
}
