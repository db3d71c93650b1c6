import type { ReplayRequest, ReplayResponse } from "../types";

/** Posts a replay request; resolves to the report or to an error message, never rejects. */
export async function postReplay(runId: string, request: ReplayRequest): Promise<ReplayResponse> {
  try {
    const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    // Not every answer is the route's JSON: a proxy's 401 or 403, a crashed server's 500 are text.
    const text = await response.text();
    let body: ReplayResponse | undefined;
    try {
      body = JSON.parse(text) as ReplayResponse;
    } catch {
      body = undefined;
    }
    if (typeof body === "object" && body !== null && (response.ok || "error" in body)) return body;
    const said = text.trim().slice(0, 300);
    return { error: { code: `HTTP_${response.status}`, message: `The server answered ${response.status}${said === "" ? "." : `: ${said}`}` } };
  } catch (error) {
    return { error: { code: "NETWORK", message: `The replay request failed: ${error instanceof Error ? error.message : String(error)}` } };
  }
}
