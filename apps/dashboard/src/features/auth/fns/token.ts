import { isLoopbackHost } from "@tracewright/instrument/shared";

/**
 * The dashboard's access check. Bound to loopback (the default) it needs none; bound elsewhere,
 * `npm start` refuses to run without `TRACEWRIGHT_DASHBOARD_TOKEN`, and every request must then
 * carry the token: `Authorization: Bearer TOKEN`, the `tracewright_token` cookie, or once
 * `?token=TOKEN` on any page (which sets the cookie and drops the token from the address).
 *
 * Without a token, only requests addressed to a loopback host (`Host: 127.0.0.1…`, `localhost`,
 * `[::1]`) are served: a dashboard started by other means on another interface, reached through
 * a proxy, or targeted by DNS rebinding (a page on another site resolving its own name to
 * 127.0.0.1) is refused with what to set, rather than showing recorded data to whoever asks.
 * The loopback check is `isLoopbackHost`, shared with the collector and `npm start`; it refuses
 * `*.localhost`, whose meaning depends on the network's DNS (docs/collector.md#loopback).
 */
export const TOKEN_COOKIE = "tracewright_token";

export type AccessDecision = { kind: "allow" } | { kind: "set-cookie-and-redirect"; location: string } | { kind: "deny" } | { kind: "deny-beyond-loopback"; host: string };

/** Compares in time independent of where the strings first differ. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function decideAccess(expected: string | undefined, request: { url: string; authorization: string | null; cookie: string | undefined; host: string | null }): AccessDecision {
  if (expected === undefined || expected === "") {
    const host = request.host ?? "";
    return isLoopbackHost(host) ? { kind: "allow" } : { kind: "deny-beyond-loopback", host };
  }
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
