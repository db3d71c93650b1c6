import { UnknownNameError } from "../errors.js";
import { bedrockModel } from "./bedrock.js";
import type { ScriptRule } from "./scripted.js";
import { createScriptedModel } from "./scripted.js";
import type { ChatModel } from "./types.js";

/** The environment variable that chooses the agents' model: `scripted` (default) or `bedrock:MODEL_ID`. */
export const AGENT_MODEL_ENV = "TRACEWRIGHT_AGENT_MODEL";

/**
 * The model a run uses: the one given, else the one `TRACEWRIGHT_AGENT_MODEL` names
 * (`bedrock:MODEL_ID`: Bedrock Converse through a client from the SDK's environment), else the
 * agent's scripted model. Resolved once per run.
 */
export function resolveModel(given: ChatModel | undefined, script: readonly ScriptRule[], latencyScale: number, spec: string | undefined = process.env[AGENT_MODEL_ENV]): ChatModel {
  if (given !== undefined) return given;
  if (spec === undefined || spec === "" || spec === "scripted") return createScriptedModel(script, { latencyScale });
  if (spec.startsWith("bedrock:") && spec.length > "bedrock:".length) return bedrockModel({ modelId: spec.slice("bedrock:".length) });
  throw new UnknownNameError(`model (${AGENT_MODEL_ENV})`, spec, ["scripted", "bedrock:MODEL_ID"]);
}
