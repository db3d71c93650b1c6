/**
 * The dashboard's access check. Bound to loopback (the default) it needs none; bound elsewhere,
 * `npm start` refuses to run without `TRACEWRIGHT_DASHBOARD_TOKEN`, and every request must then
 * carry the token: `Authorization: Bearer TOKEN`, the `tracewright_token` cookie, or once
 * `?token=TOKEN` on any page (which sets the cookie and drops the token from the address).
 */
export const TOKEN_COOKIE = "tracewright_token";

export type AccessDecision = { kind: "allow" } | { kind: "set-cookie-and-redirect"; location: string } | { kind: "deny" };

/** Compares in time independent of where the strings first differ. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function decideAccess(expected: string | undefined, request: { url: string; authorization: string | null; cookie: string | undefined }): AccessDecision {
  if (expected === undefined || expected === "") return { kind: "allow" };
  const bearer = request.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (bearer !== undefined && same(bearer, expected)) return { kind: "allow" };
  if (request.cookie !== undefined && same(request.cookie, expected)) return { kind: "allow" };
  const url = new URL(request.url);
  const given = url.searchParams.get("token");
  if (given !== null && same(given, expected)) {
    url.searchParams.delete("token");
    return { kind: "set-cookie-and-redirect", location: url.pathname + url.search };
  }
  return { kind: "deny" };
}
