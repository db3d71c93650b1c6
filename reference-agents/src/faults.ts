import { ThrottlingException, UnknownNameError, UpstreamError } from "./errors.js";
import { countTokens } from "./model/scripted.js";
import type { ChatModel, ConverseResponse } from "./model/types.js";
import type { Toolbox } from "./tools/toolbox.js";

/**
 * Fault injection. A fault is named, passed down explicitly with the run's options (never a
 * global), and applied by wrapping the run's model or toolbox; each wrapper is created per run,
 * so any counting it does starts afresh with every run and the fault fires at the same step
 * every time.
 */
export const FAULT_NAMES = ["tool_error", "tool_timeout", "malformed_model_output", "rate_limit_then_ok", "agent_bug"] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

/** The document `tool_error` and `tool_timeout` break. */
export const FAULTY_DOCUMENT = "doc://pricing";

/** What each fault does, for listings. */
export const FAULT_DESCRIPTIONS: Readonly<Record<FaultName, string>> = {
  tool_error: `fetch_document answers 503 for ${FAULTY_DOCUMENT}`,
  tool_timeout: `fetch_document never answers for ${FAULTY_DOCUMENT}; the caller's deadline expires`,
  malformed_model_output: "the first model reply is cut off at max_tokens, mid-JSON",
  rate_limit_then_ok: "the first two model calls are throttled (ThrottlingException), then calls succeed",
  agent_bug: "the agent's own code has an off-by-one that throws a TypeError",
};

/** How many model calls `rate_limit_then_ok` throttles before letting calls through. */
export const THROTTLED_CALLS = 2;

/** Without an abort signal, how long a `tool_timeout` stall lasts before answering. */
const STALL_MS = 30_000;

export function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name);
}

/** Checks a fault name from the outside world (a CLI flag, a file). */
export function parseFault(name: string): FaultName {
  if (!isFaultName(name)) throw new UnknownNameError("fault", name, FAULT_NAMES);
  return name;
}

/** The toolbox with `tool_error` or `tool_timeout` applied; for other faults, the toolbox itself. */
export function withToolFaults(tools: Toolbox, fault: FaultName | undefined): Toolbox {
  switch (fault) {
    case "tool_error":
      return {
        ...tools,
        fetchDocument: (args, options) => (args.id === FAULTY_DOCUMENT ? Promise.reject(new UpstreamError("fetch_document", 503, args.id)) : tools.fetchDocument(args, options)),
      };
    case "tool_timeout":
      return {
        ...tools,
        fetchDocument: async (args, options) => {
          if (args.id === FAULTY_DOCUMENT) await stall(options?.signal);
          return tools.fetchDocument(args, options);
        },
      };
    default:
      return tools;
  }
}

/**
 * The model with `malformed_model_output` or `rate_limit_then_ok` applied; for other faults,
 * the model itself.
 */
export function withModelFaults(model: ChatModel, fault: FaultName | undefined): ChatModel {
  switch (fault) {
    case "malformed_model_output": {
      let calls = 0;
      return {
        id: model.id,
        provider: model.provider,
        async converse(request) {
          const response = await model.converse(request);
          return calls++ === 0 ? truncated(response) : response;
        },
        ...streamOf(model),
      };
    }
    case "rate_limit_then_ok": {
      let calls = 0;
      return {
        id: model.id,
        provider: model.provider,
        converse(request) {
          return calls++ < THROTTLED_CALLS ? Promise.reject(new ThrottlingException()) : model.converse(request);
        },
        // Throttled as a streamed call is: when it is made, before any event.
        ...throttled(streamOf(model), () => calls++ < THROTTLED_CALLS),
      };
    }
    default:
      return model;
  }
}

/** The model's own streaming, where it has it: a fault of `converse` leaves its streamed calls as they are. */
function streamOf(model: ChatModel): Pick<ChatModel, "converseStream"> {
  return model.converseStream === undefined ? {} : { converseStream: model.converseStream.bind(model) };
}

/** `streaming` whose calls reject with a ThrottlingException while `throttle()` says so. */
function throttled(streaming: Pick<ChatModel, "converseStream">, throttle: () => boolean): Pick<ChatModel, "converseStream"> {
  const converseStream = streaming.converseStream;
  return converseStream === undefined ? {} : { converseStream: (request) => (throttle() ? Promise.reject(new ThrottlingException()) : converseStream(request)) };
}

/** The reply cut off halfway, as a model that ran out of output tokens returns it. */
function truncated(response: ConverseResponse): ConverseResponse {
  const text = response.output.message.content.map((block) => block.text).join("");
  const cut = text.slice(0, Math.floor(text.length / 2));
  const outputTokens = countTokens(cut);
  return {
    ...response,
    output: { message: { role: "assistant", content: [{ text: cut }] } },
    stopReason: "max_tokens",
    usage: { inputTokens: response.usage.inputTokens, outputTokens, totalTokens: response.usage.inputTokens + outputTokens },
  };
}

/** Waits until the signal aborts (rejecting with its reason), or {@link STALL_MS} without one. */
function stall(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, STALL_MS);
      return;
    }
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}
