import { context, diag } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { safely } from "./safely.js";

let contextManagerSet = false;

/**
 * Steps find their parent through async context; without a context manager nothing nests.
 * Called by `init()` and by every run's root, so a run records its tree even when the program
 * set up its tracer provider without one.
 */
export function ensureContextManager(): void {
  if (contextManagerSet) return;
  contextManagerSet = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) {
    manager.disable();
    // Someone registered one already (their own OpenTelemetry setup): use theirs.
    safely(() => diag.debug("tracewright: a global context manager is already registered; using it"));
  }
}
