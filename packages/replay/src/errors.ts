import { TracewrightError } from "@tracewright/instrument/errors";

/** Replay could not start: no such run, no registered agent, a bad option. */
export class ReplayError extends TracewrightError {}

/**
 * Thrown into the agent at the first divergence when the replay must not go live (reproduce
 * mode, verify-fix with `onDivergence: "stop"`, before the fork point): the agent's own code
 * sees it like any failing call.
 */
export class ReplayDivergenceError extends TracewrightError {
  constructor(message: string) {
    super("REPLAY_DIVERGED", message);
  }
}

/** A network connection attempted inside a reproduce replay, outside any recorded boundary. */
export class ReplayNetworkError extends TracewrightError {
  constructor(target: string) {
    super("REPLAY_NETWORK_BLOCKED", `Reproduce mode serves every boundary from the recording, but the agent opened a network connection to ${target} outside a recorded step. Wrap that call in tool()/llm() so it is recorded, or replay in verify-fix mode.`);
  }
}
