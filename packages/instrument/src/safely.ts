import { diag } from "@opentelemetry/api";

/** Telemetry never breaks the agent: every recording call, and every report of telemetry's own failures, goes through here (STYLE.md §4). */
export function safely(action: () => void): void {
  try {
    action();
  } catch {
    // Recording (or reporting) failed; the agent's own work goes on untouched.
  }
}

/** A warning through OpenTelemetry's diagnostic logger, which may be the program's own and may throw: never at the agent. */
export function warn(message: string): void {
  safely(() => diag.warn(message));
}
