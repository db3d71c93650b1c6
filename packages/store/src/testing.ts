import { createServer } from "node:net";
import { Exception, GenAI, OpenInference, RunStart, StepKind, Tracewright } from "@tracewright/instrument/conventions";
import type { Attributes, SpanRecord } from "./types.js";

/**
 * Builders of span records for tests across packages: fixed ids and clocks (STYLE.md §8).
 * Times are milliseconds from a fixed epoch; ids are derived from names.
 */
export const T0_MS = Date.UTC(2026, 0, 1);

export function hexId(seed: string, length: 16 | 32): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < length; round++) {
    for (const ch of `${seed}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}

export interface SpanSpec {
  run: string;
  key: string;
  kind?: string;
  parent?: string;
  startMs?: number;
  endMs?: number;
  error?: string;
  input?: unknown;
  output?: unknown;
  attributes?: Attributes;
  traceSeed?: string;
}

/** One Tracewright-shaped span: run id, step key and kind, input/output state. */
export function makeSpan(spec: SpanSpec): SpanRecord {
  const start = T0_MS + (spec.startMs ?? 0);
  const end = T0_MS + (spec.endMs ?? (spec.startMs ?? 0) + 10);
  const kind = spec.kind ?? (spec.parent === undefined ? StepKind.AGENT : StepKind.NODE);
  const name = spec.key.slice(spec.key.lastIndexOf("/") + 1);
  const attributes: Attributes = {
    [Tracewright.RUN_ID]: spec.run,
    [Tracewright.STEP_KEY]: spec.key,
    [Tracewright.STEP_KIND]: kind,
    [OpenInference.INPUT_VALUE]: JSON.stringify(spec.input ?? {}),
    ...(spec.output === undefined ? {} : { [OpenInference.OUTPUT_VALUE]: JSON.stringify(spec.output) }),
    ...(kind === StepKind.AGENT ? { [GenAI.AGENT_NAME]: name } : {}),
    ...spec.attributes,
  };
  return {
    traceId: hexId(spec.traceSeed ?? spec.run, 32),
    spanId: hexId(`${spec.run}/${spec.key}`, 16),
    ...(spec.parent === undefined ? {} : { parentSpanId: hexId(`${spec.run}/${spec.parent}`, 16) }),
    name,
    kind: 1,
    startTimeUnixNano: `${start}000000`,
    endTimeUnixNano: `${end}000000`,
    status: spec.error === undefined ? { code: 0 } : { code: 2, message: spec.error },
    attributes,
    events:
      spec.error === undefined
        ? []
        : [{ name: Exception.EVENT_NAME, timeUnixNano: `${end}000000`, attributes: { [Exception.TYPE]: "Error", [Exception.MESSAGE]: spec.error, [Exception.STACKTRACE]: `Error: ${spec.error}\n    at tool (agent.ts:1:1)` } }],
    links: [],
    resource: { "service.name": "test" },
  };
}

/**
 * The run-start span the instrumentation exports as `root` starts (`tracewright.run.start`):
 * zero-duration at the root's start, its child, with the run id, the agent and the root's input.
 */
export function makeRunStart(root: SpanRecord, placement: RunStart = RunStart.ROOT): SpanRecord {
  const agent = String(root.attributes[GenAI.AGENT_NAME] ?? root.name);
  return {
    traceId: root.traceId,
    spanId: hexId(`${root.spanId}/run-start`, 16),
    parentSpanId: root.spanId,
    name: `start ${agent}`,
    kind: 1,
    startTimeUnixNano: root.startTimeUnixNano,
    endTimeUnixNano: root.startTimeUnixNano,
    status: { code: 0 },
    attributes: {
      [Tracewright.RUN_ID]: root.attributes[Tracewright.RUN_ID] ?? root.traceId,
      [Tracewright.RUN_START]: placement,
      [GenAI.AGENT_NAME]: agent,
      [OpenInference.INPUT_VALUE]: root.attributes[OpenInference.INPUT_VALUE] ?? "{}",
      [OpenInference.INPUT_MIME_TYPE]: "application/json",
    },
    events: [],
    links: [],
    resource: root.resource,
  };
}

/**
 * A TCP port free right now on 127.0.0.1 (the OS picks it, and it is closed again before this
 * resolves), for a server a test starts, stops and starts again on the same port, or a child
 * process told which port to bind. The one copy for the packages' tests and the benchmarks.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
