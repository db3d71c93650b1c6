/**
 * Real OpenTelemetry SDK spans for tests: a small agent run recorded through a real tracer, with
 * fixed ids and clocks (STYLE.md §8). Not part of the build.
 */
import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { Tracer } from "@opentelemetry/api";
import type { IdGenerator } from "@opentelemetry/sdk-trace-base";
import { Exception, GenAI, OpenInference, StepKind, Tracewright } from "@tracewright/instrument/conventions";

/** 2026-01-01T00:00:00Z in seconds; spans start at sub-millisecond offsets from it. */
export const RUN_T0_SECONDS = 1767225600;
export const RUN_ID = "run-0001";

/** Ids counted up under a seed: trace ids `<seed, 8 hex><n, 24 hex>`, span ids `<seed, 4 hex><n, 12 hex>`. */
export function sequentialIds(seed = 1): IdGenerator {
  let traces = 0;
  let spans = 0;
  return {
    generateTraceId: () => `${seed.toString(16).padStart(8, "0")}${(++traces).toString(16).padStart(24, "0")}`,
    generateSpanId: () => `${seed.toString(16).padStart(4, "0")}${(++spans).toString(16).padStart(12, "0")}`,
  };
}

/** HrTime `ms` milliseconds plus `ns` nanoseconds after RUN_T0_SECONDS. */
function at(ms: number, ns = 0): [number, number] {
  return [RUN_T0_SECONDS + Math.floor(ms / 1000), (ms % 1000) * 1_000_000 + ns];
}

/**
 * Records one supervisor run: an agent root (server), a node, a model call (client, token
 * counts, array attributes), a failing tool call (error status, exception event) and a state
 * step linked to the model call. Returns the number of spans.
 */
export function recordAgentRun(tracer: Tracer, runId = RUN_ID): number {
  const common = { [Tracewright.RUN_ID]: runId };
  const root = tracer.startSpan("invoke_agent supervisor", {
    kind: SpanKind.SERVER,
    startTime: at(0, 1),
    attributes: { ...common, [GenAI.OPERATION_NAME]: "invoke_agent", [GenAI.AGENT_NAME]: "supervisor", [Tracewright.STEP_KEY]: "supervisor", [Tracewright.STEP_KIND]: StepKind.AGENT, [OpenInference.SPAN_KIND]: "AGENT", [OpenInference.INPUT_VALUE]: JSON.stringify({ question: "Why is the sky blue? ☀️" }) },
  });
  const rootCtx = trace.setSpan(context.active(), root);

  const node = tracer.startSpan("node research", { startTime: at(1), attributes: { ...common, [Tracewright.STEP_KEY]: "supervisor/node:research#0", [Tracewright.STEP_KIND]: StepKind.NODE, "retry.count": 0, "score.ratio": 0.875, "flag.enabled": true } }, rootCtx);
  const nodeCtx = trace.setSpan(rootCtx, node);

  const llm = tracer.startSpan("chat claude", {
    kind: SpanKind.CLIENT,
    startTime: at(2, 500),
    attributes: { ...common, [GenAI.OPERATION_NAME]: "chat", [GenAI.REQUEST_MODEL]: "claude-sonnet", [GenAI.USAGE_INPUT_TOKENS]: 1234, [GenAI.USAGE_OUTPUT_TOKENS]: 56, "gen_ai.request.stop_sequences": ["\n\nHuman:", "END"], "sample.scores": [0.5, 1.25], "sample.flags": [true, false], "big.count": 2 ** 40 },
  }, nodeCtx);
  llm.addEvent("gen_ai.content.prompt", { "gen_ai.prompt": "…" }, at(3));
  llm.end(at(40, 7));

  const tool = tracer.startSpan("execute_tool web_search", { kind: SpanKind.CLIENT, startTime: at(41), attributes: { ...common, [GenAI.TOOL_NAME]: "web_search", [GenAI.TOOL_CALL_ID]: "call_1", [GenAI.TOOL_CALL_ARGUMENTS]: JSON.stringify({ q: "rayleigh scattering" }) } }, nodeCtx);
  tool.addEvent(Exception.EVENT_NAME, { [Exception.TYPE]: "TimeoutError", [Exception.MESSAGE]: "web_search timed out after 30s", [Exception.STACKTRACE]: "TimeoutError: web_search timed out\n    at search (tool.ts:1:1)" }, at(70));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "web_search timed out after 30s" });
  tool.end(at(71));

  const state = tracer.startSpan("state save", { kind: SpanKind.PRODUCER, startTime: at(72), links: [{ context: llm.spanContext(), attributes: { "link.reason": "caused_by" } }], attributes: { ...common, [Tracewright.STEP_KIND]: StepKind.STATE } }, nodeCtx);
  state.end(at(72));

  node.setStatus({ code: SpanStatusCode.OK });
  node.end(at(80));
  root.setStatus({ code: SpanStatusCode.ERROR, message: "tool failed" });
  root.end(at(90, 999_999));
  return 5;
}
