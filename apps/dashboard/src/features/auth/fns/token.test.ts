import { describe, expect, it } from "vitest";
import { decideAccess } from "./token";

const req = (url: string, authorization: string | null = null, cookie?: string) => ({ url, authorization, cookie });

describe("decideAccess", () => {
  it("allows everything when no token is configured (loopback)", () => {
    expect(decideAccess(undefined, req("http://127.0.0.1:3000/"))).toEqual({ kind: "allow" });
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
