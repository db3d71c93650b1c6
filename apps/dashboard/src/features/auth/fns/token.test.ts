import { describe, expect, it } from "vitest";
import { decideAccess } from "./token";

const req = (url: string, authorization: string | null = null, cookie?: string, host: string | null = new URL(url).host) => ({ url, authorization, cookie, host });

describe("decideAccess", () => {
  it("without a token, serves requests addressed to this machine only", () => {
    expect(decideAccess(undefined, req("http://127.0.0.1:3000/"))).toEqual({ kind: "allow" });
    expect(decideAccess("", req("http://localhost:3000/runs/x"))).toEqual({ kind: "allow" });
    expect(decideAccess(undefined, req("http://[::1]:3000/"))).toEqual({ kind: "allow" });
    expect(decideAccess(undefined, req("http://127.8.9.10/"))).toEqual({ kind: "allow" });
    // Bound elsewhere, behind a proxy, or a rebinding attacker's name resolving to 127.0.0.1.
    expect(decideAccess(undefined, req("http://10.0.0.5:3000/"))).toEqual({ kind: "deny-beyond-loopback", host: "10.0.0.5:3000" });
    expect(decideAccess(undefined, req("http://127.0.0.1:3000/", null, undefined, "evil.example:3000"))).toEqual({ kind: "deny-beyond-loopback", host: "evil.example:3000" });
    expect(decideAccess(undefined, req("http://127.0.0.1:3000/", null, undefined, "localhost.evil.example"))).toEqual({ kind: "deny-beyond-loopback", host: "localhost.evil.example" });
    expect(decideAccess(undefined, req("http://127.0.0.1:3000/", null, undefined, null))).toEqual({ kind: "deny-beyond-loopback", host: "" });
  });

  it("takes the token as a bearer header or a cookie, and nothing else", () => {
    expect(decideAccess("s3cret", req("http://h/runs/x", "Bearer s3cret"))).toEqual({ kind: "allow" });
    expect(decideAccess("s3cret", req("http://h/runs/x", null, "s3cret"))).toEqual({ kind: "allow" });
    expect(decideAccess("s3cret", req("http://h/runs/x", "Bearer nope"))).toEqual({ kind: "deny" });
    expect(decideAccess("s3cret", req("http://h/runs/x", null, "s3cre"))).toEqual({ kind: "deny" });
    expect(decideAccess("s3cret", req("http://h/"))).toEqual({ kind: "deny" });
  });

  it("trades a ?token= for a cookie and drops it from the address", () => {
    expect(decideAccess("s3cret", req("http://h/runs/x?step=a&token=s3cret"))).toEqual({ kind: "set-cookie-and-redirect", location: "/runs/x?step=a" });
    expect(decideAccess("s3cret", req("http://h/?token=wrong"))).toEqual({ kind: "deny" });
  });
});
