import { wholeState } from "../../../../../../../features/step/fns/detail";
import { jsonResponse, loadStep } from "../../../../../../../features/step/server/load-step";

const PARTS = ["input", "output", "attributes"] as const;

/** `GET /api/runs/RUN_ID/spans/SPAN_ID/(input|output|attributes)`: one state, whole, as JSON. */
export async function GET(_request: Request, { params }: { params: Promise<{ runId: string; spanId: string; part: string }> }): Promise<Response> {
  const { runId, spanId, part } = await params;
  const which = PARTS.find((p) => p === part);
  if (which === undefined) return jsonResponse({ error: { code: "BAD_PART", message: `Unknown state "${part}": ask for input, output or attributes.` } }, 404);
  const found = await loadStep(runId, spanId);
  if (found === undefined) return jsonResponse({ error: { code: "STEP_NOT_FOUND", message: `Run ${runId} has no span ${spanId}.` } }, 404);
  return jsonResponse(wholeState(found.step[which]));
}
