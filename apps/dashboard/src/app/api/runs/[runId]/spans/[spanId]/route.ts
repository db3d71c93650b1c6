import { toStepDetail } from "../../../../../../features/step/fns/detail";
import { jsonResponse, loadStep } from "../../../../../../features/step/server/load-step";

/**
 * `GET /api/runs/RUN_ID/spans/SPAN_ID`: one step's detail (timing, facts, error, states). States
 * over the inline limit come as their size and the address of `…/input`, `…/output` or
 * `…/attributes`, fetched only when asked for.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ runId: string; spanId: string }> }): Promise<Response> {
  const { runId, spanId } = await params;
  const found = await loadStep(runId, spanId);
  if (found === undefined) return jsonResponse({ error: { code: "STEP_NOT_FOUND", message: `Run ${runId} has no span ${spanId}.` } }, 404);
  return jsonResponse(toStepDetail(found.runId, found.step));
}
