import { NextResponse } from "next/server";
import type { NextRequest } from "next/server";
import { TOKEN_COOKIE, decideAccess } from "./features/auth/fns/token";

/** Requires `TRACEWRIGHT_DASHBOARD_TOKEN` on every request when it is set (see features/auth). */
export function proxy(request: NextRequest): NextResponse {
  const token = process.env.TRACEWRIGHT_DASHBOARD_TOKEN;
  const decision = decideAccess(token, { url: request.url, authorization: request.headers.get("authorization"), cookie: request.cookies.get(TOKEN_COOKIE)?.value });
  if (decision.kind === "allow") return NextResponse.next();
  if (decision.kind === "set-cookie-and-redirect") {
    const response = NextResponse.redirect(new URL(decision.location, request.url));
    response.cookies.set(TOKEN_COOKIE, token ?? "", { httpOnly: true, sameSite: "strict", path: "/" });
    return response;
  }
  return new NextResponse("This Tracewright dashboard requires a token: open it once with ?token=TOKEN, or send Authorization: Bearer TOKEN.", { status: 401, headers: { "content-type": "text/plain; charset=utf-8" } });
}

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
