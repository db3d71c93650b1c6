import { NextRequest } from "next/server";
import { afterEach, describe, expect, it } from "vitest";
import { proxy } from "./proxy";

// The proxy as Next.js runs it before every route: a real NextRequest in, its response out.

const BASE = "http://127.0.0.1:3000";

function request(path: string, init: { method?: string; headers?: Record<string, string> } = {}): NextRequest {
  return new NextRequest(`${BASE}${path}`, { method: init.method ?? "GET", headers: { host: "127.0.0.1:3000", ...init.headers } });
}

/** Whether the proxy lets the request through to the route (`NextResponse.next()`). */
function passes(response: Response): boolean {
  return response.headers.get("x-middleware-next") === "1";
}

afterEach(() => {
  delete process.env.TRACEWRIGHT_DASHBOARD_TOKEN;
});

describe("proxy: requests from other sites", () => {
  const replay = "/api/runs/r1/replay";

  it("refuses a POST another site's page sends (Origin of another site, or Sec-Fetch-Site cross-site)", async () => {
    const senders: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "http://127.0.0.1:8080" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site", origin: "http://localhost:5173" }, { origin: "null" }];
    for (const headers of senders) {
      const response = proxy(request(replay, { method: "POST", headers: { "content-type": "text/plain", ...headers } }));
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(await response.text()).toContain("another site");
    }
  });

  it("refuses it with a token configured too, whatever cookie the browser attaches", () => {
    process.env.TRACEWRIGHT_DASHBOARD_TOKEN = "s3cret";
    const response = proxy(request(replay, { method: "POST", headers: { origin: "http://127.0.0.1:8080", "sec-fetch-site": "same-site", cookie: "tracewright_token=s3cret" } }));
    expect(response.status).toBe(403);
  });

  it("lets through the dashboard's own POST, and scripts that send no Origin", () => {
    expect(passes(proxy(request(replay, { method: "POST", headers: { origin: BASE, "sec-fetch-site": "same-origin" } })))).toBe(true);
    expect(passes(proxy(request(replay, { method: "POST", headers: { origin: "http://localhost:3000", host: "localhost:3000" } })))).toBe(true);
    expect(passes(proxy(request(replay, { method: "POST" })))).toBe(true);
  });

  it("lets other sites link to pages (GET is not refused for its origin)", () => {
    expect(passes(proxy(request("/runs/r1", { headers: { "sec-fetch-site": "cross-site" } })))).toBe(true);
  });
});

describe("proxy: addresses that are not valid percent-encoding", () => {
  it("answers 400 with what is wrong, not Next.js's bare 500", async () => {
    for (const path of ["/runs/%E0%A4%A", "/runs/%", "/api/runs/50%/spans/abc", "/runs/%zz"]) {
      const response = proxy(request(path));
      expect(response.status, path).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await response.text()).toContain("percent-encoding");
    }
  });

  it("passes well-formed escapes, including an encoded percent sign", () => {
    for (const path of ["/runs/100%25", "/runs/a%2Fb", "/runs/%C3%BCn%C3%AF", "/?q=%25"]) expect(passes(proxy(request(path))), path).toBe(true);
  });
});
