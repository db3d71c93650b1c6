import { describe, expect, it } from "vitest";
import { ThrottlingException, UnknownNameError, UpstreamError } from "./errors.js";
import { FAULT_NAMES, FAULTY_DOCUMENT, THROTTLED_CALLS, parseFault, withModelFaults, withToolFaults } from "./faults.js";
import type { ScriptRule } from "./model/scripted.js";
import { createScriptedModel } from "./model/scripted.js";
import type { ConverseRequest } from "./model/types.js";
import { replyText } from "./model/types.js";
import { createToolbox } from "./tools/toolbox.js";

const json: ScriptRule = { name: "json", matches: () => true, reply: () => JSON.stringify({ next: "research", reason: "nothing has been read yet" }) };
const request: ConverseRequest = { model: "scripted-converse-1", messages: [{ role: "user", content: [{ text: "next?" }] }] };
const model = () => createScriptedModel([json], { latencyScale: 0 });

describe("parseFault", () => {
  it("accepts the known faults and names them all when it rejects one", () => {
    for (const name of FAULT_NAMES) expect(parseFault(name)).toBe(name);
    expect(() => parseFault("disk_full")).toThrow(new UnknownNameError("fault", "disk_full", FAULT_NAMES));
    expect(() => parseFault("disk_full")).toThrow('unknown fault "disk_full"; known: tool_error, tool_timeout, malformed_model_output, rate_limit_then_ok, agent_bug');
  });
});

describe("tool faults", () => {
  it("tool_error: fetch_document answers 503 for the faulty document only, every time", async () => {
    const tools = withToolFaults(createToolbox(), "tool_error");
    for (let i = 0; i < 2; i++) {
      const failure = tools.fetchDocument({ id: FAULTY_DOCUMENT });
      await expect(failure).rejects.toBeInstanceOf(UpstreamError);
      await expect(failure).rejects.toThrow("fetch_document: upstream returned 503 for doc://pricing");
    }
    await expect(tools.fetchDocument({ id: "doc://graviton" })).resolves.toMatchObject({ id: "doc://graviton" });
    await expect(tools.webSearch({ query: "pricing" })).resolves.toMatchObject({ query: "pricing" });
  });

  it("tool_timeout: fetch_document for the faulty document waits until its signal aborts", async () => {
    const tools = withToolFaults(createToolbox(), "tool_timeout");
    const controller = new AbortController();
    let settled = false;
    const call = tools.fetchDocument({ id: FAULTY_DOCUMENT }, { signal: controller.signal }).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    const reason = new Error("deadline");
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await expect(tools.fetchDocument({ id: "doc://graviton" }, { signal: new AbortController().signal })).resolves.toMatchObject({ id: "doc://graviton" });
  });

  it("leaves the toolbox alone for faults that are not tool faults", () => {
    const tools = createToolbox();
    for (const fault of [undefined, "malformed_model_output", "rate_limit_then_ok", "agent_bug"] as const) expect(withToolFaults(tools, fault)).toBe(tools);
  });
});

describe("model faults", () => {
  it("malformed_model_output: cuts the first reply in half at max_tokens, then answers normally", async () => {
    const healthy = await model().converse(request);
    const faulty = withModelFaults(model(), "malformed_model_output");
    const first = await faulty.converse(request);
    const text = replyText(healthy);
    expect(replyText(first)).toBe(text.slice(0, Math.floor(text.length / 2)));
    expect(() => JSON.parse(replyText(first)) as unknown).toThrow(SyntaxError);
    expect(first.stopReason).toBe("max_tokens");
    expect(first.usage.outputTokens).toBeLessThan(healthy.usage.outputTokens);
    expect(first.usage.inputTokens).toBe(healthy.usage.inputTokens);
    expect(await faulty.converse(request)).toEqual(healthy);
  });

  it("rate_limit_then_ok: throttles the first calls, then passes through; each wrapper counts afresh", async () => {
    const healthy = await model().converse(request);
    for (let run = 0; run < 2; run++) {
      const faulty = withModelFaults(model(), "rate_limit_then_ok");
      for (let i = 0; i < THROTTLED_CALLS; i++) {
        const failure = faulty.converse(request);
        await expect(failure).rejects.toBeInstanceOf(ThrottlingException);
        await expect(failure).rejects.toMatchObject({ name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });
      }
      expect(await faulty.converse(request)).toEqual(healthy);
    }
  });

  it("rate_limit_then_ok and malformed_model_output keep the model's streaming; the throttling counts streamed calls too, failing them when made", async () => {
    const read = async (stream: AsyncIterable<unknown>) => {
      const events: unknown[] = [];
      for await (const event of stream) events.push(event);
      return events;
    };
    const healthy = await read(await model().converseStream!(request));
    const faulty = withModelFaults(model(), "rate_limit_then_ok");
    await expect(faulty.converse(request)).rejects.toBeInstanceOf(ThrottlingException);
    for (let i = 1; i < THROTTLED_CALLS; i++) await expect(faulty.converseStream!(request)).rejects.toBeInstanceOf(ThrottlingException);
    expect(await read(await faulty.converseStream!(request))).toEqual(healthy);
    expect(await read(await withModelFaults(model(), "malformed_model_output").converseStream!(request))).toEqual(healthy);
  });

  it("keeps the model's id and provider, and leaves it alone for other faults", () => {
    const base = model();
    expect(withModelFaults(base, "rate_limit_then_ok")).toMatchObject({ id: base.id, provider: base.provider });
    for (const fault of [undefined, "tool_error", "tool_timeout", "agent_bug"] as const) expect(withModelFaults(base, fault)).toBe(base);
  });
});
