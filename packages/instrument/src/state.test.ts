import { describe, expect, it } from "vitest";
import { Tracewright } from "./conventions.js";
import { loadState, saveState } from "./state.js";
import { run } from "./steps.js";
import type { StepCall, StepInterceptor } from "./steps.js";
import { recordSpans } from "./recording.fixtures.js";

const exporter = recordSpans();

const span = (key: string) => exporter.getFinishedSpans().find((s) => s.attributes[Tracewright.STEP_KEY] === key)!;

describe("state steps", () => {
  it("record a load with the key in and the state out, and a save with the key and state in", async () => {
    const stored = new Map<string, unknown>([["s-1", { turn: 1 }]]);
    await run("agent", {}, async () => {
      const state = await loadState("s-1", (key) => stored.get(key) ?? null);
      await saveState("s-1", { ...(state as object), turn: 2 }, (key, next) => void stored.set(key, next));
    });
    const load = span("agent/state:load#0");
    expect(load.name).toBe("state load");
    expect(load.attributes[Tracewright.STEP_KIND]).toBe("state");
    expect(JSON.parse(String(load.attributes["input.value"]))).toEqual({ key: "s-1" });
    expect(JSON.parse(String(load.attributes["output.value"]))).toEqual({ turn: 1 });
    expect(JSON.parse(String(span("agent/state:save#0").attributes["input.value"]))).toEqual({ key: "s-1", state: { turn: 2 } });
    expect(stored.get("s-1")).toEqual({ turn: 2 });
  });

  it("are served by an interceptor without touching the store", async () => {
    const seen: StepCall[] = [];
    const interceptor: StepInterceptor = {
      intercept: <T>(call: StepCall, live: () => Promise<T>) => {
        if (call.kind !== "state") return live();
        seen.push(call);
        return Promise.resolve((call.name === "load" ? { turn: 7 } : "saved") as T);
      },
      interceptSync: <T>(_call: StepCall, live: () => T) => live(),
    };
    let touched = 0;
    const out = await run("agent", {}, async () => {
      const state = await loadState("s-1", () => (touched++, null));
      return [state, await saveState("s-1", state, () => (touched++, "written"))];
    }, { interceptor });
    expect(out).toEqual([{ turn: 7 }, "saved"]);
    expect(touched).toBe(0);
    expect(seen.map((c) => `${c.kind}:${c.name}`)).toEqual(["state:load", "state:save"]);
  });
});
