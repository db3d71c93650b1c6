import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { IdGenerator, ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Tracing } from "./init.js";
import { init } from "./init.js";
import { stepInputHash } from "./hash.js";
import { currentStepKey, llm, node, run, runWithResult, tool } from "./steps.js";
import type { StepInterceptor } from "./steps.js";
import { context, createContextKey, trace } from "@opentelemetry/api";
import type { Attributes, Context, Tracer } from "@opentelemetry/api";
import { isRunStart, RunStart, stepKeyName, stepKeyParts, stepKeySegment, Tracewright } from "./conventions.js";
import { carry, resume } from "./propagation.js";
import type { Carried } from "./propagation.js";

/** Fixed ids (STYLE.md §8): trace ids and span ids count up. */
class CountingIds implements IdGenerator {
  private trace = 0;
  private span = 0;
  generateTraceId(): string {
    return (++this.trace).toString(16).padStart(32, "0");
  }
  generateSpanId(): string {
    return (++this.span).toString(16).padStart(16, "0");
  }
}

const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(() => {
  tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], idGenerator: new CountingIds(), register: false, serviceName: "test-agent" });
});
afterAll(async () => {
  await tracing.shutdown();
});
beforeEach(() => exporter.reset());

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
/** The spans that are steps: all but the run-start spans. */
const steps = (): ReadableSpan[] => spans().filter((s) => !isRunStart(s));
const byKey = (key: string): ReadableSpan => {
  const span = spans().find((s) => s.attributes[Tracewright.STEP_KEY] === key);
  if (span === undefined) throw new Error(`no span with key ${key}; have ${spans().map((s) => s.attributes[Tracewright.STEP_KEY]).join(", ")}`);
  return span;
};
const runIdOf = (): string => String(byKey("supervisor").attributes[Tracewright.RUN_ID]);

describe("wrappers record each step as a span", () => {
  it("pins the attribute map of run, node, llm and tool", async () => {
    const output = await run("supervisor", { goal: "cut costs" }, async () => {
      const plan = await node("plan", { goal: "cut costs" }, async (state) => ({ ...state, plan: ["research"] }));
      await llm({ model: "scripted-1", messages: [{ role: "user", content: "hi" }] }, () => ({ text: "hello", usage: { inputTokens: 3, outputTokens: 1 } }), { provider: "tracewright.scripted" });
      await tool("web_search", { q: "lambda" }, () => ["doc://a"], { callId: "call-1" });
      return plan;
    });
    expect(output).toEqual({ goal: "cut costs", plan: ["research"] });
    const runId = runIdOf();
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    // The run id and start times vary from run to run; the ancestry's span ids count up.
    const normalized = (key: string) => {
      const attributes: Attributes = { ...byKey(key).attributes, [Tracewright.RUN_ID]: "<run>" };
      const ancestry = attributes[Tracewright.STEP_ANCESTRY];
      if (typeof ancestry === "string") attributes[Tracewright.STEP_ANCESTRY] = ancestry.replace(/:\d+/g, ":<µs>");
      return { name: byKey(key).name, kind: byKey(key).kind, attributes };
    };
    expect(normalized("supervisor")).toMatchInlineSnapshot(`
      {
        "attributes": {
          "gen_ai.agent.name": "supervisor",
          "gen_ai.operation.name": "invoke_agent",
          "input.mime_type": "application/json",
          "input.value": "{"goal":"cut costs"}",
          "openinference.span.kind": "AGENT",
          "output.mime_type": "application/json",
          "output.value": "{"goal":"cut costs","plan":["research"]}",
          "tracewright.run.id": "<run>",
          "tracewright.step.children": 3,
          "tracewright.step.key": "supervisor",
          "tracewright.step.kind": "agent",
        },
        "kind": 0,
        "name": "invoke_agent supervisor",
      }
    `);
    expect(normalized("supervisor/node:plan#0")).toMatchInlineSnapshot(`
      {
        "attributes": {
          "gen_ai.operation.name": "invoke_workflow",
          "input.mime_type": "application/json",
          "input.value": "{"goal":"cut costs"}",
          "openinference.span.kind": "CHAIN",
          "output.mime_type": "application/json",
          "output.value": "{"goal":"cut costs","plan":["research"]}",
          "tracewright.run.id": "<run>",
          "tracewright.step.ancestry": "0000000000000001:<µs>",
          "tracewright.step.key": "supervisor/node:plan#0",
          "tracewright.step.kind": "node",
          "tracewright.step.seq": 0,
        },
        "kind": 0,
        "name": "node plan",
      }
    `);
    expect(normalized("supervisor/llm:scripted-1#0")).toMatchInlineSnapshot(`
      {
        "attributes": {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "tracewright.scripted",
          "gen_ai.request.model": "scripted-1",
          "gen_ai.usage.input_tokens": 3,
          "gen_ai.usage.output_tokens": 1,
          "input.mime_type": "application/json",
          "input.value": "{"model":"scripted-1","messages":[{"role":"user","content":"hi"}]}",
          "openinference.span.kind": "LLM",
          "output.mime_type": "application/json",
          "output.value": "{"text":"hello","usage":{"inputTokens":3,"outputTokens":1}}",
          "tracewright.run.id": "<run>",
          "tracewright.step.ancestry": "0000000000000001:<µs>",
          "tracewright.step.key": "supervisor/llm:scripted-1#0",
          "tracewright.step.kind": "llm",
          "tracewright.step.seq": 1,
        },
        "kind": 2,
        "name": "chat scripted-1",
      }
    `);
    expect(normalized("supervisor/tool:web_search#0")).toMatchInlineSnapshot(`
      {
        "attributes": {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.call.id": "call-1",
          "gen_ai.tool.name": "web_search",
          "input.mime_type": "application/json",
          "input.value": "{"q":"lambda"}",
          "openinference.span.kind": "TOOL",
          "output.mime_type": "application/json",
          "output.value": "["doc://a"]",
          "tracewright.run.id": "<run>",
          "tracewright.step.ancestry": "0000000000000001:<µs>",
          "tracewright.step.key": "supervisor/tool:web_search#0",
          "tracewright.step.kind": "tool",
          "tracewright.step.seq": 2,
        },
        "kind": 0,
        "name": "execute_tool web_search",
      }
    `);
    for (const span of spans()) expect(span.attributes[Tracewright.RUN_ID]).toBe(runId);
    // No input hash rides with a whole input: readers derive it from the text recorded, the
    // sha256 the spans carried before (the hash of '{"goal":"cut costs"}', of the llm request).
    expect(stepInputHash(byKey("supervisor").attributes)).toBe("26bd117b929356764525337aa788eb5522497fbfaa758181a8ad89adb644a915");
    expect(stepInputHash(byKey("supervisor/node:plan#0").attributes)).toBe("26bd117b929356764525337aa788eb5522497fbfaa758181a8ad89adb644a915");
    expect(stepInputHash(byKey("supervisor/llm:scripted-1#0").attributes)).toBe("a887937925236ef990dd6490187d6e3747c988bc2642f59909ff65e15eb1cc1d");
  });

  it("reads token usage in the shapes of Anthropic and OpenAI, prompt cache included", async () => {
    await run("supervisor", {}, async () => {
      await llm({ model: "claude" }, () => ({ usage: { input_tokens: 20, output_tokens: 5, cache_read_input_tokens: 900, cache_creation_input_tokens: 80 } }));
      await llm({ model: "gpt" }, () => ({ usage: { prompt_tokens: 30, completion_tokens: 6, prompt_tokens_details: { cached_tokens: 512 } } }));
      await llm({ model: "gpt-responses" }, () => ({ usage: { input_tokens: 40, output_tokens: 7, input_tokens_details: { cached_tokens: 256 } } }));
      await llm({ model: "odd" }, () => ({ usage: { input_tokens: "many", prompt_tokens_details: null, cache_read_input_tokens: Number.NaN } }));
    });
    const usage = (key: string) => Object.fromEntries(Object.entries(byKey(key).attributes).filter(([k]) => k.startsWith("gen_ai.usage.")));
    expect(usage("supervisor/llm:claude#0")).toEqual({ "gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 5, "gen_ai.usage.cache_read.input_tokens": 900, "gen_ai.usage.cache_creation.input_tokens": 80 });
    expect(usage("supervisor/llm:gpt#0")).toEqual({ "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 6, "gen_ai.usage.cache_read.input_tokens": 512 });
    expect(usage("supervisor/llm:gpt-responses#0")).toEqual({ "gen_ai.usage.input_tokens": 40, "gen_ai.usage.output_tokens": 7, "gen_ai.usage.cache_read.input_tokens": 256 });
    expect(usage("supervisor/llm:odd#0")).toEqual({});
  });

  it("nests steps under their parent and keeps keys stable for concurrent siblings", async () => {
    await run("supervisor", {}, async () => {
      await node("research", {}, async () => {
        // Completion order is the reverse of call order: keys follow call order.
        await Promise.all([30, 10, 0].map((delay, i) => tool("web_search", { i }, () => new Promise((r) => setTimeout(() => r(i), delay)))));
      });
      await node("research", {}, () => tool("fetch", {}, () => 1));
    });
    const keys = steps().map((s) => String(s.attributes[Tracewright.STEP_KEY])).sort();
    expect(keys).toEqual([
      "supervisor",
      "supervisor/node:research#0",
      "supervisor/node:research#0/tool:web_search#0",
      "supervisor/node:research#0/tool:web_search#1",
      "supervisor/node:research#0/tool:web_search#2",
      "supervisor/node:research#1",
      "supervisor/node:research#1/tool:fetch#0",
    ]);
    const research = byKey("supervisor/node:research#0");
    for (const i of [0, 1, 2]) {
      const span = byKey(`supervisor/node:research#0/tool:web_search#${i}`);
      expect(span.parentSpanContext?.spanId).toBe(research.spanContext().spanId);
      expect(span.attributes["input.value"]).toBe(`{"i":${i}}`);
    }
  });

  it("records each step's ancestors in this process, outermost first, with their start times", async () => {
    await run("supervisor", {}, async () => {
      await node("research", {}, () => Promise.all([tool("a", {}, () => 1), tool("b", {}, () => 2)]));
    });
    // Its start in whole ms, then its position among its parent's children (0 for the root and the node).
    const segment = (span: ReadableSpan) => `${span.spanContext().spanId}:${(span.startTime[0] * 1000 + Math.floor(span.startTime[1] / 1_000_000)) * 1000 + Number(span.attributes[Tracewright.STEP_SEQ] ?? 0)}`;
    const root = byKey("supervisor");
    const research = byKey("supervisor/node:research#0");
    expect(root.attributes[Tracewright.STEP_ANCESTRY]).toBeUndefined();
    expect(research.attributes[Tracewright.STEP_ANCESTRY]).toBe(segment(root));
    for (const key of ["supervisor/node:research#0/tool:a#0", "supervisor/node:research#0/tool:b#0"]) expect(byKey(key).attributes[Tracewright.STEP_ANCESTRY]).toBe(`${segment(root)}.${segment(research)}`);
  });

  it("records an error and rethrows the user's error unchanged, sync or async", async () => {
    const original = new RangeError("upstream 503");
    const result = await runWithResult("supervisor", { goal: "x" }, async () => {
      await tool("fetch_document", { url: "doc://pricing" }, () => {
        throw original;
      });
    });
    expect(result.status).toBe("error");
    expect(result.error).toBe(original);
    expect(result.runId).toBe(runIdOf());
    const failed = byKey("supervisor/tool:fetch_document#0");
    expect(failed.status).toEqual({ code: 2, message: "upstream 503" });
    expect(failed.events.map((e) => [e.name, e.attributes?.["exception.type"], e.attributes?.["exception.message"]])).toEqual([["exception", "RangeError", "upstream 503"]]);
    expect(String(failed.events[0]?.attributes?.["exception.stacktrace"])).toContain("upstream 503");
    expect(failed.attributes["output.value"]).toBeUndefined();
    expect(byKey("supervisor").status.code).toBe(2);

    await expect(run("supervisor", {}, () => Promise.reject(original))).rejects.toBe(original);
    const thrown = "a string, not an Error";
    await expect(node("n", {}, () => { throw thrown; })).rejects.toBe(thrown);
  });

  it("works for synchronous functions and returns their value", async () => {
    await expect(node("sync", 1, (n) => n + 1)).resolves.toBe(2);
    await expect(tool("t", {}, () => "done")).resolves.toBe("done");
  });

  it("records clock, random and uuid reads as steps whose output is the value returned", async () => {
    let seen: { now: number; random: number; uuid: string } | undefined;
    await run("supervisor", {}, (ctx) => {
      seen = { now: ctx.now(), random: ctx.random(), uuid: ctx.uuid() };
    });
    expect(seen).toBeDefined();
    expect(byKey("supervisor/clock:now#0").attributes["output.value"]).toBe(String(seen?.now));
    expect(byKey("supervisor/random:random#0").attributes["output.value"]).toBe(String(seen?.random));
    expect(byKey("supervisor/uuid:uuid#0").attributes["output.value"]).toBe(JSON.stringify(seen?.uuid));
    expect(byKey("supervisor/clock:now#0").attributes[Tracewright.STEP_KIND]).toBe("clock");
  });

  it("a run inside a run is an agent step of the same run", async () => {
    await run("supervisor", {}, () => run("worker", { task: 1 }, () => "ok"));
    const worker = byKey("supervisor/agent:worker#0");
    expect(worker.attributes[Tracewright.RUN_ID]).toBe(runIdOf());
    expect(worker.attributes["gen_ai.agent.name"]).toBe("worker");
  });

  it("keeps a name with '/' (a model id like openai/gpt-4o, a Bedrock profile ARN) one segment of its key", async () => {
    await run("team/supervisor", {}, async () => {
      await llm({ model: "openai/gpt-4o" }, () => ({ text: "hi" }));
      await tool("mcp/search", { q: "x" }, () => tool("50%/off", {}, () => 1));
    });
    expect(steps().map((s) => String(s.attributes[Tracewright.STEP_KEY])).sort()).toEqual([
      "team%2Fsupervisor",
      "team%2Fsupervisor/llm:openai%2Fgpt-4o#0",
      "team%2Fsupervisor/tool:mcp%2Fsearch#0",
      "team%2Fsupervisor/tool:mcp%2Fsearch#0/tool:50%25%2Foff#0",
    ]);
    // Each key's parent is the key without its last segment, as every reader cuts it.
    for (const span of steps()) {
      const key = String(span.attributes[Tracewright.STEP_KEY]);
      const parent = spans().find((p) => p.spanContext().spanId === span.parentSpanContext?.spanId);
      if (parent !== undefined) expect(key.slice(0, key.lastIndexOf("/"))).toBe(parent.attributes[Tracewright.STEP_KEY]);
    }
    expect(spans().find(isRunStart)?.attributes["gen_ai.agent.name"]).toBe("team/supervisor");
    expect(stepKeyName("openai%2Fgpt-4o")).toBe("openai/gpt-4o");
    expect(stepKeyName(stepKeySegment("50%2F/x%"))).toBe("50%2F/x%");
  });

  it("reads a key's kind and name back, a ':' in a root's name (billing:v2) its own", async () => {
    await run("billing:v2", {}, async () => {
      await tool("ns:fetch", {}, () => 1);
    });
    await tool("lookup", {}, () => 2);
    const parts = Object.fromEntries(steps().map((s) => [String(s.attributes[Tracewright.STEP_KEY]), stepKeyParts(String(s.attributes[Tracewright.STEP_KEY]))]));
    expect(parts).toEqual({
      "billing:v2": { name: "billing:v2" },
      "billing:v2/tool:ns:fetch#0": { kind: "tool", name: "ns:fetch" },
      // A step outside any run: kind and name, no occurrence.
      "tool:lookup": { kind: "tool", name: "lookup" },
    });
    expect(stepKeyParts("team%2Fsupervisor/llm:openai%2Fgpt-4o#0")).toEqual({ kind: "llm", name: "openai/gpt-4o" });
  });

  it("counts each name's occurrences past the bound of the segments it keeps (a tool named per call)", async () => {
    await run("supervisor", {}, async () => {
      await tool("fetch/v2", {}, () => 0);
      // More distinct names than the segment cache holds (4,096): it starts again midway.
      for (let i = 0; i < 5000; i++) await tool(`t${i}`, {}, () => i);
      await tool("fetch/v2", {}, () => 1);
      await tool("t0", {}, () => 2);
      await llm({ model: "t0", messages: [] }, () => 3);
    });
    const keys = steps().map((s) => String(s.attributes[Tracewright.STEP_KEY]));
    expect(keys).toContain("supervisor/tool:fetch%2Fv2#0");
    expect(keys).toContain("supervisor/tool:fetch%2Fv2#1");
    expect(keys).toContain("supervisor/tool:t4999#0");
    expect(keys).toContain("supervisor/tool:t0#1");
    // Another kind of the same name is counted apart.
    expect(keys).toContain("supervisor/llm:t0#0");
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("gives independent runs their own run ids", async () => {
    const a = await runWithResult("a", {}, () => 1);
    const b = await runWithResult("b", {}, () => 2);
    expect(a.runId).not.toBe(b.runId);
    expect(a).toMatchObject({ status: "ok", output: 1 });
  });
});

describe("a run announces itself as it starts", () => {
  it("with a run-start span, ended before any step: child of the root, at its start, with the run id, agent and input (schema snapshot)", async () => {
    let seenDuringRun: ReadableSpan[] = [];
    await run("supervisor", { goal: "cut costs" }, async () => {
      // SimpleSpanProcessor exports on end: what is exported here was exported before any step ended.
      seenDuringRun = [...spans()];
      await node("plan", {}, () => "p");
    });
    expect(seenDuringRun).toHaveLength(1);
    const marker = seenDuringRun[0] as ReadableSpan;
    const root = byKey("supervisor");
    expect(isRunStart(marker)).toBe(true);
    expect(marker.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(marker.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(marker.startTime).toEqual(root.startTime);
    expect(marker.endTime).toEqual(root.startTime);
    expect({ name: marker.name, kind: marker.kind, attributes: { ...marker.attributes, [Tracewright.RUN_ID]: marker.attributes[Tracewright.RUN_ID] === runIdOf() ? "<run>" : "?" } }).toMatchInlineSnapshot(`
      {
        "attributes": {
          "gen_ai.agent.name": "supervisor",
          "input.mime_type": "application/json",
          "input.value": "{"goal":"cut costs"}",
          "tracewright.run.id": "<run>",
          "tracewright.run.start": "root",
        },
        "kind": 0,
        "name": "start supervisor",
      }
    `);
    // Not a step: the first step's key and seq are what they were without it.
    expect(byKey("supervisor/node:plan#0").attributes[Tracewright.STEP_SEQ]).toBe(0);
  });

  it("once per run, not per step nor for an agent step inside the run", async () => {
    await run("supervisor", {}, async () => {
      await run("worker", {}, () => node("n", {}, () => 1));
      await tool("t", {}, () => 1);
    });
    expect(spans().filter(isRunStart).map((s) => s.attributes["gen_ai.agent.name"])).toEqual(["supervisor"]);
  });

  it("from a consumer continuing a carried run no step of this process has open, keyed to the run's agent", async () => {
    let carried: Carried = {};
    const producer = await runWithResult("producer", {}, () => node("send", {}, () => (carried = carry())));
    exporter.reset();
    // The producer's run has ended here: as in another process, the consumer is this process's local root of the run.
    await context.with(resume(carried), () => runWithResult("consumer", { msg: 1 }, () => tool("t", {}, () => 1)));
    const [marker, ...others] = spans().filter(isRunStart);
    expect(others).toEqual([]);
    expect(marker?.attributes).toMatchObject({ [Tracewright.RUN_ID]: producer.runId, [Tracewright.RUN_START]: RunStart.CONTINUED, "gen_ai.agent.name": "producer", "input.value": '{"msg":1}' });
    expect(marker?.parentSpanContext?.spanId).toBe(byKey("producer/node:send#0/agent:consumer#0").spanContext().spanId);
  });

  it("but a consumer inside the producer's own open run adds none", async () => {
    await run("producer", {}, async () => {
      const carried = carry();
      await context.with(resume(carried), () => runWithResult("consumer", {}, () => 1));
    });
    expect(spans().filter(isRunStart)).toHaveLength(1);
  });

  it("and a run whose run-start span cannot be recorded still runs and records its steps", async () => {
    const real = tracing.provider.getTracer("test");
    const failing: Tracer = {
      startSpan: (name, options, ctx) => {
        if (name.startsWith("start ")) throw new Error("exporter broke");
        return real.startSpan(name, options, ctx);
      },
      startActiveSpan: real.startActiveSpan.bind(real) as Tracer["startActiveSpan"],
    };
    await expect(run("supervisor", {}, () => node("n", {}, () => "ran"), { tracer: failing })).resolves.toBe("ran");
    expect(spans().map((s) => s.attributes[Tracewright.STEP_KEY])).toEqual(["supervisor/node:n#0", "supervisor"]);
  });
});

describe("deterministic runs", () => {
  it("route Date.now, Math.random and crypto.randomUUID inside the run to recorded steps, and nowhere else", async () => {
    let inside: { now: number; random: number; uuid: string } | undefined;
    const outsideBefore = Date.now();
    await run("supervisor", {}, async () => {
      await node("work", {}, () => {
        inside = { now: Date.now(), random: Math.random(), uuid: globalThis.crypto.randomUUID() };
      });
    }, { deterministic: true });
    expect(byKey("supervisor/node:work#0/clock:now#0").attributes["output.value"]).toBe(String(inside?.now));
    expect(byKey("supervisor/node:work#0/random:random#0").attributes["output.value"]).toBe(String(inside?.random));
    expect(byKey("supervisor/node:work#0/uuid:uuid#0").attributes["output.value"]).toBe(JSON.stringify(inside?.uuid));
    // The agent's own reads, and no more: the SDK's span ids and times, read as steps start and
    // end, are the instrumentation's, not the agent's (recorded, they would be replayed as calls).
    expect(spans().filter((s) => !isRunStart(s)).map((s) => s.attributes[Tracewright.STEP_KEY]).sort()).toEqual(
      ["supervisor", "supervisor/node:work#0", "supervisor/node:work#0/clock:now#0", "supervisor/node:work#0/random:random#0", "supervisor/node:work#0/uuid:uuid#0"],
    );
    // Outside the run, and in a run that did not ask, the real functions answer and nothing is recorded.
    exporter.reset();
    expect(Date.now()).toBeGreaterThanOrEqual(outsideBefore);
    await run("other", {}, () => [Date.now(), Math.random()]);
    expect(spans().map((s) => (isRunStart(s) ? "run start" : s.attributes[Tracewright.STEP_KIND]))).toEqual(["run start", "agent"]);
  });

  it("route the reads of an in-process consumer that joined the run and outlives its producer, and none after both ended", async () => {
    let consumed: Promise<unknown> = Promise.resolve();
    let late: Promise<void> = Promise.resolve();
    await run("producer", {}, async () => {
      const carried = carry();
      // Delivered in this process while the producer's run is open: the consumer joins it.
      consumed = context.with(resume(carried), () =>
        runWithResult("consumer", {}, async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const at = await node("stamp", {}, () => Date.now());
          late = new Promise((resolve) => setTimeout(() => resolve(void Date.now()), 10));
          return at;
        }),
      );
    }, { deterministic: true });
    await consumed;
    await late;
    const keys = steps().map((s) => String(s.attributes[Tracewright.STEP_KEY]));
    // The consumer's read after the producer ended is a step of the run; the timer left behind after both is none.
    expect(keys.filter((k) => k.includes("clock:now"))).toEqual([expect.stringMatching(/agent:consumer#0\/node:stamp#0\/clock:now#0$/)]);
  });
});

describe("a step's function that answers synchronously", () => {
  it("ends the step as it returns, before its promise is awaited", async () => {
    const pending = tool("lookup", { id: 7 }, () => ({ name: "seven" }));
    expect(steps().map((s) => s.attributes[Tracewright.STEP_KEY])).toEqual(["tool:lookup"]);
    expect(steps()[0]?.attributes["output.value"]).toBe('{"name":"seven"}');
    await expect(pending).resolves.toEqual({ name: "seven" });
  });
  it("turns a throw into a rejection, the step ended with the error", async () => {
    const failure = new Error("no such id");
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = tool("lookup", { id: 8 }, () => {
        throw failure;
      });
    }).not.toThrow();
    expect(steps()[0]?.status.code).toBe(2);
    await expect(pending).rejects.toBe(failure);
  });
});

describe("a step's function returning a lazy thenable (a query builder)", () => {
  // Prisma, Knex, Drizzle and the like start their work in then(): it must run inside the step.
  const lazy = () => ({ then: (resolve: (v: unknown) => void) => resolve(currentStepKey()) });
  it("runs the thenable's then() in the step's context, live", async () => {
    const result = await runWithResult("agent", {}, () => tool("db", {}, lazy));
    expect(result.output).toBe("agent/tool:db#0");
  });
  it("and through an interceptor's live()", async () => {
    const interceptor: StepInterceptor = { intercept: (_call, live) => live(), interceptSync: (_call, live) => live() };
    const result = await runWithResult("agent", {}, () => tool("db", {}, lazy), { interceptor });
    expect(result.output).toBe("agent/tool:db#0");
  });
  it("fails the step, not the caller, when reading the result's then() throws", async () => {
    const cursed = Object.defineProperty({}, "then", {
      get() {
        throw new Error("then is cursed");
      },
    });
    const pending = tool("db", {}, () => cursed);
    await expect(pending).rejects.toThrow("then is cursed");
    expect(steps()[0]?.status.code).toBe(2);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    await expect(tool("db", {}, () => proxy)).rejects.toThrow(TypeError);
    expect(steps()).toHaveLength(2);
  });
  it("and a Promise subclass's then() too", async () => {
    class Query extends Promise<unknown> {
      override then<A = unknown, B = never>(resolve?: ((v: unknown) => A | PromiseLike<A>) | null, reject?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
        return Promise.resolve(currentStepKey()).then(resolve, reject);
      }
    }
    const result = await runWithResult("agent", {}, () => tool("db", {}, () => new Query(() => {})));
    expect(result.output).toBe("agent/tool:db#0");
  });
});

describe("a step's context", () => {
  const USER_KEY = createContextKey("test.user-key");
  const OTHER_KEY = createContextKey("test.other-key");

  it("holds the step's span and reads every other key from the context it was started in", async () => {
    const seen: { span?: string; user?: unknown }[] = [];
    await context.with(context.active().setValue(USER_KEY, "outer"), () =>
      run("supervisor", {}, () =>
        node("plan", {}, async () => {
          const active = context.active();
          seen.push({ span: trace.getSpan(active)?.spanContext().spanId, user: active.getValue(USER_KEY) });
          return tool("search", {}, () => {
            seen.push({ span: trace.getSpan(context.active())?.spanContext().spanId, user: context.active().getValue(USER_KEY) });
            return 1;
          });
        }),
      ),
    );
    expect(seen).toEqual([
      { span: byKey("supervisor/node:plan#0").spanContext().spanId, user: "outer" },
      { span: byKey("supervisor/node:plan#0/tool:search#0").spanContext().spanId, user: "outer" },
    ]);
  });

  it("keeps the step's span and key under a value set or deleted inside it (other instrumentation's)", async () => {
    await context.with(context.active().setValue(USER_KEY, "outer"), () =>
      run("supervisor", {}, () =>
        node("plan", {}, () => {
          const set = context.active().setValue(OTHER_KEY, "inner");
          const deleted = context.active().deleteValue(USER_KEY);
          expect(set.getValue(OTHER_KEY)).toBe("inner");
          expect(set.getValue(USER_KEY)).toBe("outer");
          expect(deleted.getValue(USER_KEY)).toBeUndefined();
          expect(trace.getSpan(set)).toBe(trace.getSpan(context.active()));
          expect(trace.getSpan(deleted)).toBe(trace.getSpan(context.active()));
          // The step active there is still this one: a step started in either is its child.
          return context.with(set, () => tool("a", {}, () => context.with(deleted, () => tool("b", {}, () => currentStepKey()))));
        }),
      ),
    );
    const plan = byKey("supervisor/node:plan#0");
    const a = byKey("supervisor/node:plan#0/tool:a#0");
    expect(a.parentSpanContext?.spanId).toBe(plan.spanContext().spanId);
    expect(byKey("supervisor/node:plan#0/tool:b#0").parentSpanContext?.spanId).toBe(plan.spanContext().spanId);
  });

  /**
   * A run whose tool keeps its context past the run (as a socket opened there would), under a key
   * set between node and tool when `between` is given; after gc, that context and whether the
   * node's span (with its 100 KB state) is still alive.
   */
  async function contextHeldAfterRun(between?: string): Promise<{ held: Context | undefined; nodeSpan: object | undefined }> {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    let outer: WeakRef<object> | undefined;
    let held: Context | undefined;
    const openSocket = () =>
      tool("open_socket", {}, () => {
        held = context.active();
        return 1;
      });
    await run("supervisor", {}, () =>
      node("plan", { state: "x".repeat(100_000) }, () => {
        outer = new WeakRef(trace.getSpan(context.active()) as object);
        return between === undefined ? openSocket() : context.with(context.active().setValue(USER_KEY, between), openSocket);
      }),
    );
    exporter.reset();
    for (let i = 0; i < 3 && outer?.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return { held, nodeSpan: outer?.deref() };
  }

  it("keeps no ancestor step alive: a context held after the run (a socket opened in a tool) holds its own step only", async () => {
    const { held, nodeSpan } = await contextHeldAfterRun();
    expect(trace.getSpan(held as Context)?.isRecording()).toBe(false);
    expect(nodeSpan, "the node's span, kept alive by its child's context").toBeUndefined();
  });

  it("keeps no ancestor step alive under a key set between two steps either (other instrumentation's)", async () => {
    const { held, nodeSpan } = await contextHeldAfterRun("between");
    expect(held?.getValue(USER_KEY)).toBe("between");
    expect(nodeSpan, "the node's span, kept alive by its child's context").toBeUndefined();
  });

  it("nests 80 steps deep, each the child of the one above, the outer context still read at the bottom", async () => {
    const depth = 80;
    let bottom: { key?: string; user?: unknown; span?: string } = {};
    const descend = (level: number): Promise<number> =>
      node(`n${level}`, { level }, () => {
        if (level < depth) return descend(level + 1);
        bottom = { key: currentStepKey(), user: context.active().getValue(USER_KEY), span: trace.getSpan(context.active())?.spanContext().spanId };
        return level;
      });
    await context.with(context.active().setValue(USER_KEY, "outer"), () => run("supervisor", {}, () => descend(1)));
    const keys = Array.from({ length: depth }, (_, i) => `node:n${i + 1}#0`);
    const deepest = byKey(["supervisor", ...keys].join("/"));
    expect(bottom).toEqual({ key: ["supervisor", ...keys].join("/"), user: "outer", span: deepest.spanContext().spanId });
    for (let level = 1; level <= depth; level++) {
      const span = byKey(["supervisor", ...keys.slice(0, level)].join("/"));
      const parent = byKey(["supervisor", ...keys.slice(0, level - 1)].join("/"));
      expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    }
  });
});
