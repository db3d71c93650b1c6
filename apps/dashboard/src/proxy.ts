import { NextResponse } from "next/server";
import type { NextRequest } from "next/server";
import { TOKEN_COOKIE, decideAccess } from "./features/auth/fns/token";
import { hasMalformedEscape } from "./shared/fns/routes";

function plain(text: string, status: number): NextResponse {
  return new NextResponse(text, { status, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" } });
}

/**
 * Before every route: requires `TRACEWRIGHT_DASHBOARD_TOKEN` on every request when it is set, and
 * a loopback Host when it is not; refuses a request that changes something (a replay) sent by a
 * page of another site; and answers an address that is not valid percent-encoding with a 400
 * (Next.js would answer a bare 500 for it in a dynamic segment). See features/auth.
 */
export function proxy(request: NextRequest): NextResponse {
  const token = process.env.TRACEWRIGHT_DASHBOARD_TOKEN;
  const decision = decideAccess(token, {
    url: request.url,
    authorization: request.headers.get("authorization"),
    cookie: request.cookies.get(TOKEN_COOKIE)?.value,
    host: request.headers.get("host"),
    method: request.method,
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
  });
  if (decision.kind === "deny-cross-site") {
    return plain(`This Tracewright dashboard does not take ${request.method} requests from another site's page (this one came from ${JSON.stringify(decision.from)}): replay a run from the dashboard's own run page, or from a program (which sends no Origin).`, 403);
  }
  if (decision.kind === "deny-beyond-loopback") {
    return plain(`This Tracewright dashboard has no token, so it serves only requests to this machine (127.0.0.1, localhost), not ${JSON.stringify(decision.host)}. Open it at http://127.0.0.1:PORT, or set TRACEWRIGHT_DASHBOARD_TOKEN and open it once with ?token=TOKEN.`, 403);
  }
  if (decision.kind === "set-cookie-and-redirect") {
    const response = NextResponse.redirect(new URL(decision.location, request.url));
    response.cookies.set(TOKEN_COOKIE, token ?? "", { httpOnly: true, sameSite: "strict", path: "/" });
    return response;
  }
  if (decision.kind === "deny") return plain("This Tracewright dashboard requires a token: open it once with ?token=TOKEN, or send Authorization: Bearer TOKEN.", 401);
  if (hasMalformedEscape(request.nextUrl.pathname)) {
    return plain(`This address is not valid percent-encoding: each "%" must start an escape of UTF-8 (two hex digits). A run id is written in the address with encodeURIComponent: a "%" in it is "%25". The dashboard's own links are written so.`, 400);
  }
  return NextResponse.next();
}

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
