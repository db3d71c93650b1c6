import type { Tracing } from "@tracewright/instrument";
import { Exception, OpenInference, Tracewright, init, isRunStart, stepInputHash } from "@tracewright/instrument";
import { SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

/** One recorded step, reduced to what two runs of the same scenario must agree on. */
export interface RecordedStep {
  key: string;
  kind: string;
  status: "ok" | "error";
  inputHash: string;
  input: unknown;
  output?: unknown;
  error?: { type: string; message: string };
}

/**
 * Records every span of the test file in memory. Call once at module level, then `install()`
 * in `beforeAll`, `uninstall()` in `afterAll` and `reset()` in `beforeEach`.
 */
export function spanRecorder() {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  /** The spans that are steps: the run-start spans (`tracewright.run.start`) are not. */
  const stepSpans = (): ReadableSpan[] => spans().filter((span) => !isRunStart(span));
  return {
    install(): void {
      tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false, serviceName: "reference-agents-test" });
    },
    async uninstall(): Promise<void> {
      await tracing?.shutdown();
    },
    reset(): void {
      exporter.reset();
    },
    spans,
    /** The steps in the order they ended: deterministic for sequential agent code. */
    steps(): RecordedStep[] {
      return stepSpans().map(toStep);
    },
    keys(): string[] {
      return stepSpans().map((span) => String(span.attributes[Tracewright.STEP_KEY]));
    },
    step(key: string): RecordedStep {
      const span = stepSpans().find((s) => s.attributes[Tracewright.STEP_KEY] === key);
      if (span === undefined) throw new Error(`no step ${key}; recorded: ${stepSpans().map((s) => s.attributes[Tracewright.STEP_KEY]).join(", ")}`);
      return toStep(span);
    },
    span(key: string): ReadableSpan {
      const span = spans().find((s) => s.attributes[Tracewright.STEP_KEY] === key);
      if (span === undefined) throw new Error(`no span ${key}`);
      return span;
    },
  };
}

function toStep(span: ReadableSpan): RecordedStep {
  const attribute = (key: string) => span.attributes[key];
  const exception = span.events.find((event) => event.name === Exception.EVENT_NAME);
  const output = attribute(OpenInference.OUTPUT_VALUE);
  return {
    key: String(attribute(Tracewright.STEP_KEY)),
    kind: String(attribute(Tracewright.STEP_KIND)),
    status: span.status.code === SpanStatusCode.ERROR ? "error" : "ok",
    inputHash: String(stepInputHash(span.attributes)),
    input: JSON.parse(String(attribute(OpenInference.INPUT_VALUE))) as unknown,
    ...(output === undefined ? {} : { output: JSON.parse(String(output)) as unknown }),
    ...(exception === undefined ? {} : { error: { type: String(exception.attributes?.[Exception.TYPE]), message: String(exception.attributes?.[Exception.MESSAGE]) } }),
  };
}

/**
 * The steps with the values two runs legitimately differ in replaced by placeholders wherever
 * they appear: the run's clock reading (the clock step's output, the report's timestamp) and
 * its recorded uuids (a new session's id, in the state steps' inputs and outputs). A step whose
 * input held one gets a placeholder input hash too; everything else must match exactly.
 */
export function withoutClockAndUuids(steps: readonly RecordedStep[]): RecordedStep[] {
  let text = JSON.stringify(steps);
  for (const step of steps) {
    if (step.kind === "clock" && typeof step.output === "number") {
      text = text.replaceAll(new Date(step.output).toISOString(), "<now>").replaceAll(`"output":${step.output}`, '"output":"<now>"');
    }
    if (step.kind === "uuid" && typeof step.output === "string") text = text.replaceAll(step.output, "<uuid>");
  }
  return (JSON.parse(text) as RecordedStep[]).map((step) => (/<now>|<uuid>/.test(JSON.stringify(step.input)) ? { ...step, inputHash: "<volatile>" } : step));
}
