import { NextResponse } from "next/server";
import type { NextRequest } from "next/server";
import { TOKEN_COOKIE, decideAccess } from "./features/auth/fns/token";

/** Requires `TRACEWRIGHT_DASHBOARD_TOKEN` on every request when it is set, and a loopback Host when it is not (see features/auth). */
export function proxy(request: NextRequest): NextResponse {
  const token = process.env.TRACEWRIGHT_DASHBOARD_TOKEN;
  const decision = decideAccess(token, { url: request.url, authorization: request.headers.get("authorization"), cookie: request.cookies.get(TOKEN_COOKIE)?.value, host: request.headers.get("host") });
  if (decision.kind === "allow") return NextResponse.next();
  if (decision.kind === "deny-beyond-loopback") {
    return new NextResponse(
      `This Tracewright dashboard has no token, so it serves only requests to this machine (127.0.0.1, localhost), not ${JSON.stringify(decision.host)}. Open it at http://127.0.0.1:PORT, or set TRACEWRIGHT_DASHBOARD_TOKEN and open it once with ?token=TOKEN.`,
      { status: 403, headers: { "content-type": "text/plain; charset=utf-8" } },
    );
  }
  if (decision.kind === "set-cookie-and-redirect") {
    const response = NextResponse.redirect(new URL(decision.location, request.url));
    response.cookies.set(TOKEN_COOKIE, token ?? "", { httpOnly: true, sameSite: "strict", path: "/" });
    return response;
  }
  return new NextResponse("This Tracewright dashboard requires a token: open it once with ?token=TOKEN, or send Authorization: Bearer TOKEN.", { status: 401, headers: { "content-type": "text/plain; charset=utf-8" } });
}

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
