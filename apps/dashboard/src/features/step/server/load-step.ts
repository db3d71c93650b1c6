import "server-only";
import { buildSteps } from "@tracewright/store";
import type { Step } from "@tracewright/store";
import { findByRunIdParam } from "../../../shared/fns/routes";
import { getStore } from "../../store/server/store";

/**
 * One step of a run, read from its span alone (an indexed lookup): what the step detail API
 * serves, so that opening a step of a 20,000-step run never reads the other 19,999.
 * The key is the recorded `tracewright.step.key`; the tree on the page has the canonical one.
 */
export async function loadStep(runIdParam: string, spanId: string): Promise<{ runId: string; step: Step } | undefined> {
  if (!/^[0-9a-fA-F]{1,64}$/.test(spanId)) return undefined;
  const access = await getStore();
  if (access.state === "absent") return undefined;
  const found = await findByRunIdParam(runIdParam, async (runId) => {
    const span = await access.store.getRunSpan(runId, spanId.toLowerCase());
    return span === undefined ? undefined : buildSteps([span])[0];
  });
  return found === undefined ? undefined : { runId: found.runId, step: found.found };
}

/** JSON answers of the dashboard API: never sniffed as markup, never cached across runs' changes. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" },
  });
}
