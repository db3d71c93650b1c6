import { parseReplayRequest } from "../../../../../features/replay/fns/request";
import { runReplay } from "../../../../../features/replay/server/run-replay";
import { jsonResponse } from "../../../../../features/step/server/load-step";

/**
 * `POST /api/runs/RUN_ID/replay` with `{ mode, from?, state?, fixes?, stop?, allowSideEffects? }`:
 * replays the run and answers `{ report }` (the divergence report), or `{ error }`: 404 for a run
 * the store does not have, 400 for a request that cannot be replayed. The segment is resolved as
 * the run's page resolves it (`runIdCandidates`), so an id holding `%` or `/` replays too.
 */
export async function POST(request: Request, { params }: { params: Promise<{ runId: string }> }): Promise<Response> {
  const { runId } = await params;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return jsonResponse({ error: { code: "BAD_JSON", message: "The body is not JSON." } }, 400);
  }
  const parsed = parseReplayRequest(body);
  if (!parsed.ok) return jsonResponse({ error: { code: "BAD_REQUEST", message: parsed.message } }, 400);
  const result = await runReplay(runId, parsed.request);
  return jsonResponse(result.body, result.status);
}
