import { describe, expect, it } from "vitest";
import { parseEditedState, parseReplayRequest } from "./request";

describe("parseReplayRequest", () => {
  it("takes the three modes and their options", () => {
    expect(parseReplayRequest({ mode: "reproduce" })).toEqual({ ok: true, request: { mode: "reproduce" } });
    expect(parseReplayRequest({ mode: "verify-fix", fixes: ["agent_bug"], stop: true })).toEqual({ ok: true, request: { mode: "verify-fix", fixes: ["agent_bug"], stop: true } });
    expect(parseReplayRequest({ mode: "fork", from: "a/node:b#0", state: { x: 1 } })).toEqual({ ok: true, request: { mode: "fork", from: "a/node:b#0", state: { x: 1 } } });
  });

  it("says what is wrong with a bad request", () => {
    expect(parseReplayRequest(null)).toMatchObject({ ok: false, message: expect.stringContaining("JSON object") as unknown as string });
    expect(parseReplayRequest({ mode: "rewind" })).toMatchObject({ ok: false, message: 'mode must be one of reproduce, verify-fix, fork; got "rewind".' });
    expect(parseReplayRequest({ mode: "fork" })).toMatchObject({ ok: false, message: expect.stringContaining("needs from") as unknown as string });
    expect(parseReplayRequest({ mode: "verify-fix", fixes: [1] })).toMatchObject({ ok: false });
  });

  it("parses edited state and names a JSON error", () => {
    expect(parseEditedState('{"a": [1, 2]}')).toEqual({ ok: true, value: { a: [1, 2] } });
    expect(parseEditedState("{a: 1}")).toMatchObject({ ok: false, message: expect.stringContaining("not valid JSON") as unknown as string });
  });
});
