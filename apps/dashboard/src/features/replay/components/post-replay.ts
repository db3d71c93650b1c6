import type { ReplayRequest, ReplayResponse } from "../types";

/** Posts a replay request; resolves to the report or to an error message, never rejects. */
export async function postReplay(runId: string, request: ReplayRequest): Promise<ReplayResponse> {
  try {
    const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    const body = (await response.json()) as ReplayResponse;
    if (!response.ok && !("error" in body)) return { error: { code: `HTTP_${response.status}`, message: `The server answered ${response.status}.` } };
    return body;
  } catch (error) {
    return { error: { code: "NETWORK", message: `The replay request failed: ${error instanceof Error ? error.message : String(error)}` } };
  }
}
