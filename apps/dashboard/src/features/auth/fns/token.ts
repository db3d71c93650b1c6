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

export type AccessDecision = { kind: "allow" } | { kind: "set-cookie-and-redirect"; location: string } | { kind: "deny" } | { kind: "deny-beyond-loopback"; host: string } | { kind: "deny-cross-site"; from: string };

/** What the access check reads of a request. Without a method it is taken for a GET. */
export interface AccessRequest {
  url: string;
  authorization: string | null;
  cookie: string | undefined;
  host: string | null;
  method?: string;
  /** The `Origin` header. */
  origin?: string | null;
  /** The `Sec-Fetch-Site` header. */
  secFetchSite?: string | null;
}

/** Methods that read only: any site may link to a page, and the browser keeps the answer from it. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Which other site sent a request that changes something (a replay, which runs the agent and may
 * call its tools live), or undefined when it came from the dashboard's own pages or from a
 * program. A page on any site can POST to `http://127.0.0.1:3000` (a "simple" request, no
 * preflight) and its Host is then loopback, so the Host check alone does not stop it; nor does the
 * token cookie, which a page of the same site on another port (`127.0.0.1:8080`) carries. The
 * browser says where a request comes from: `Sec-Fetch-Site` (every current browser), else
 * `Origin` compared with `Host`. Scripts and the CLI send neither and are not affected.
 */
export function crossSiteSender(request: Pick<AccessRequest, "method" | "origin" | "secFetchSite" | "host">): string | undefined {
  if (SAFE_METHODS.has((request.method ?? "GET").toUpperCase())) return undefined;
  const site = request.secFetchSite?.toLowerCase();
  const origin = request.origin ?? undefined;
  if (site !== undefined) return site === "same-origin" || site === "none" ? undefined : (origin ?? site);
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return origin; // "null" (a sandboxed frame, a file) or garbage: not the dashboard's own page.
  }
  return originHost.toLowerCase() === (request.host ?? "").toLowerCase() ? undefined : origin;
}

/** Compares in time independent of where the strings first differ. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function decideAccess(expected: string | undefined, request: AccessRequest): AccessDecision {
  const from = crossSiteSender(request);
  if (from !== undefined) return { kind: "deny-cross-site", from };
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
