/**
 * The errors the reference agents and their tools throw. Each has a stable `code` and a
 * message that says what was expected, what was found and, where it helps, what to do. They
 * are what a recorded run's `exception.type` and `exception.message` show, so their names and
 * messages are part of what a test or a replay compares.
 */
export class ReferenceAgentError extends Error {
  override name = "ReferenceAgentError";
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A tool's upstream answered with an HTTP error (what `tool_error` injects). */
export class UpstreamError extends ReferenceAgentError {
  override name = "UpstreamError";
  readonly status: number;
  readonly resource: string;

  constructor(tool: string, status: number, resource: string) {
    super("UPSTREAM_ERROR", `${tool}: upstream returned ${status} for ${resource}`);
    this.status = status;
    this.resource = resource;
  }
}

/** A tool call that did not answer within its deadline. */
export class ToolTimeoutError extends ReferenceAgentError {
  override name = "ToolTimeoutError";

  constructor(tool: string, timeoutMs: number, resource: string, options?: ErrorOptions) {
    super("TOOL_TIMEOUT", `${tool}: no response within ${timeoutMs} ms for ${resource}`, options);
  }
}

/** A tool called with arguments it cannot serve (an unknown document, dataset or column). */
export class ToolInputError extends ReferenceAgentError {
  override name = "ToolInputError";

  constructor(message: string) {
    super("TOOL_INPUT_INVALID", message);
  }
}

/**
 * The model service refused the call for now, as Bedrock does with HTTP 429. Named after
 * Bedrock's exception so that a retry policy written for the real client works unchanged.
 */
export class ThrottlingException extends ReferenceAgentError {
  override name = "ThrottlingException";
  readonly retryable = true;
  readonly $metadata = { httpStatusCode: 429 };

  constructor(message = "Too many requests, please wait before trying again.") {
    super("THROTTLED", message);
  }
}

/** A model reply the agent cannot use: not JSON, or JSON of the wrong shape. */
export class ModelOutputError extends ReferenceAgentError {
  override name = "ModelOutputError";
  /** The reply as received, for the recording. */
  readonly reply: string;

  constructor(message: string, reply: string, options?: ErrorOptions) {
    super("MODEL_OUTPUT_INVALID", message, options);
    this.reply = reply;
  }
}

/** The scripted model has no rule for a request: the script and the prompts disagree. */
export class ScriptError extends ReferenceAgentError {
  override name = "ScriptError";

  constructor(message: string) {
    super("SCRIPT_NO_MATCH", message);
  }
}

/** The supervisor's routing did not finish: a route it does not know, or no `done` in time. */
export class RoutingError extends ReferenceAgentError {
  override name = "RoutingError";

  constructor(message: string) {
    super("ROUTING_FAILED", message);
  }
}

/** A scenario or fault name that is not in the registry. */
export class UnknownNameError extends ReferenceAgentError {
  override name = "UnknownNameError";

  constructor(what: string, name: string, known: readonly string[]) {
    super("UNKNOWN_NAME", `unknown ${what} "${name}"; known: ${known.join(", ")}`);
  }
}

/** A session store refused a key or a state, or could not read what it holds. */
export class SessionStoreError extends ReferenceAgentError {
  override name = "SessionStoreError";

  constructor(code: "SESSION_KEY_INVALID" | "SESSION_STATE_INVALID" | "SESSION_STORE_FAILED" | "SESSION_STORE_CONFIG", message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** The human asked to approve the supervisor's plan said no. */
export class PlanRejectedError extends ReferenceAgentError {
  override name = "PlanRejectedError";

  constructor(comment: string) {
    super("PLAN_REJECTED", `the plan was rejected${comment === "" ? "" : `: ${comment}`}`);
  }
}
