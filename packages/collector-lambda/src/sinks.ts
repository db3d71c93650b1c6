/**
 * Sinks by name, as `TRACEWRIGHT_SINKS` (Lambda) and `tracewright collector --sink` (CLI) choose
 * them: `store` (needs a TraceStore), `xray`, `cloudwatch`, `langsmith`, `memory`.
 */
import type { TraceStore } from "@tracewright/store";
import { cloudwatchSink } from "./cloudwatch/sink.js";
import { CollectorConfigError } from "./errors.js";
import { langsmithSink } from "./langsmith/sink.js";
import { memorySink, storeSink } from "./sink.js";
import type { RejectionReporter, Sink } from "./sink.js";
import { xraySink } from "./xray/sink.js";
import { daemonTransport, putTraceSegmentsTransport } from "./xray/transport.js";

export const SINK_NAMES = ["store", "xray", "cloudwatch", "langsmith", "memory"] as const;
export type SinkName = (typeof SINK_NAMES)[number];

/** The default of `TRACEWRIGHT_SINKS` in Lambda. */
export const DEFAULT_LAMBDA_SINKS: readonly SinkName[] = ["xray", "cloudwatch"];

export interface SinkFactoryOptions {
  /** Required by `store`. */
  store?: TraceStore;
  /** Read for `TRACEWRIGHT_LOG_GROUP`, `TRACEWRIGHT_XRAY_TRANSPORT` (`api` | `daemon`, default `api`), `AWS_XRAY_DAEMON_ADDRESS`. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  report?: RejectionReporter;
}

/** Parses a comma-separated list of sink names (`xray,cloudwatch`), refusing unknown ones. */
export function parseSinkNames(text: string | readonly string[]): SinkName[] {
  const names = (typeof text === "string" ? text.split(",") : text.flatMap((t) => t.split(","))).map((n) => n.trim().toLowerCase()).filter((n) => n !== "");
  const unknown = names.filter((n) => !(SINK_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new CollectorConfigError(`Unknown sink ${unknown.map((n) => JSON.stringify(n)).join(", ")}: choose from ${SINK_NAMES.join(", ")}.`);
  if (names.length === 0) throw new CollectorConfigError(`No sink named: choose from ${SINK_NAMES.join(", ")} (e.g. TRACEWRIGHT_SINKS=xray,cloudwatch).`);
  return [...new Set(names as SinkName[])];
}

export function createSinks(names: readonly SinkName[], options: SinkFactoryOptions = {}): Sink[] {
  const env = options.env ?? process.env;
  const report = options.report === undefined ? {} : { report: options.report };
  const logGroupName = env.TRACEWRIGHT_LOG_GROUP;
  return names.map((name): Sink => {
    switch (name) {
      case "store":
        if (options.store === undefined) throw new CollectorConfigError('The "store" sink needs a trace store (--db, TRACEWRIGHT_DB).');
        return storeSink(options.store);
      case "memory":
        return memorySink();
      case "xray": {
        const mode = (env.TRACEWRIGHT_XRAY_TRANSPORT ?? "api").toLowerCase();
        if (mode !== "api" && mode !== "daemon") throw new CollectorConfigError(`TRACEWRIGHT_XRAY_TRANSPORT must be "api" or "daemon", got ${JSON.stringify(mode)}.`);
        const transport = mode === "daemon" ? daemonTransport({ ...(env.AWS_XRAY_DAEMON_ADDRESS === undefined ? {} : { address: env.AWS_XRAY_DAEMON_ADDRESS }) }) : putTraceSegmentsTransport();
        return xraySink({ transport, ...report, ...(logGroupName === undefined ? {} : { logGroupName }) });
      }
      case "cloudwatch":
        return cloudwatchSink({ ...report, ...(logGroupName === undefined ? {} : { logGroupName }) });
      case "langsmith":
        return langsmithSink({ ...report });
    }
  });
}
