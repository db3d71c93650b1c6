import { withQuery } from "./search-params";

/**
 * A run's page, optionally with a step selected. Ids and keys are URL-encoded: they are
 * recorded data, never trusted as path segments.
 */
export function runHref(runId: string, step?: string): string {
  return withQuery(`/runs/${encodeURIComponent(runId)}`, [["step", step]]);
}

/**
 * The run ids a `/runs/[runId]` segment may stand for: as Next.js hands it over, then fully
 * percent-decoded (Next.js leaves some escapes, such as `%2F`, in dynamic params). The first
 * that names a run wins, so an id that itself contains `%` still resolves.
 */
export function runIdCandidates(param: string): string[] {
  let decoded = param;
  try {
    decoded = decodeURIComponent(param);
  } catch {
    // Malformed escapes: only the id as given.
  }
  return decoded === param ? [param] : [param, decoded];
}

/** The first of a segment's {@link runIdCandidates} for which `find` finds something, with what it found. */
export async function findByRunIdParam<T>(param: string, find: (runId: string) => Promise<T | undefined>): Promise<{ runId: string; found: T } | undefined> {
  for (const runId of runIdCandidates(param)) {
    const found = await find(runId);
    if (found !== undefined) return { runId, found };
  }
  return undefined;
}

/**
 * Whether a path holds a percent escape that does not decode (`%` not followed by two hex
 * digits, or bytes that are not UTF-8). Next.js answers such a path to a dynamic route with a
 * bare 500; the proxy answers it with a 400 that says why.
 */
export function hasMalformedEscape(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return false;
  } catch {
    return true;
  }
}
