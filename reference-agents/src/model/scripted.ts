import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ScriptError } from "../errors.js";
import { replyText } from "./types.js";
import type { ChatModel, ConverseRequest, ConverseResponse, ConverseStreamEvent, StopReason } from "./types.js";

/** What a rule answers: a text, or a text with the stop reason to report. */
export type ScriptedReply = string | { text: string; stopReason?: StopReason };

/**
 * One rule of a script. `reply` must be a pure function of the request: the scripted model's
 * promise is that the same request always gets the same response.
 */
export interface ScriptRule {
  /** Names the rule in errors and tests. */
  name: string;
  matches(request: ConverseRequest): boolean;
  reply(request: ConverseRequest): ScriptedReply;
}

export interface ScriptedModelOptions {
  /** The model id. Default: `"scripted-converse-1"`. */
  id?: string;
  /**
   * Multiplies the simulated latency (5–20 ms per call, derived from the request's hash).
   * `0` answers without waiting. Default: 1.
   */
  latencyScale?: number;
}

/** `gen_ai.provider.name` of the scripted model. */
export const SCRIPTED_PROVIDER = "tracewright.scripted";

const MIN_LATENCY_MS = 5;
const LATENCY_SPREAD_MS = 16;

/**
 * A deterministic stand-in for a chat model. The first rule whose `matches` accepts the request
 * writes the reply; usage is counted from the texts and latency derived from the request's
 * hash, so the same request gets the same response, usage and latency on every call, in every
 * process. A request no rule matches is a {@link ScriptError}: the prompts and the script have
 * drifted apart.
 */
export function createScriptedModel(script: readonly ScriptRule[], options: ScriptedModelOptions = {}): ChatModel {
  const id = options.id ?? "scripted-converse-1";
  const scale = options.latencyScale ?? 1;
  if (!(scale >= 0)) throw new RangeError(`latencyScale must be a number >= 0, got ${scale}`);
  /** The scripted response to a request, and the latency it simulates. */
  const answer = (request: ConverseRequest): ConverseResponse => {
    const rule = script.find((candidate) => candidate.matches(request));
    if (rule === undefined) {
      throw new ScriptError(`no scripted reply for a request to ${request.model}; system prompt starts "${preview(systemText(request))}", last user message starts "${preview(lastUserText(request))}"`);
    }
    const raw = rule.reply(request);
    const reply = typeof raw === "string" ? { text: raw } : raw;
    const inputTokens = countRequestTokens(request);
    const outputTokens = countTokens(reply.text);
    return {
      output: { message: { role: "assistant", content: [{ text: reply.text }] } },
      stopReason: reply.stopReason ?? "end_turn",
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      metrics: { latencyMs: Math.round(simulatedLatencyMs(request) * scale) },
    };
  };
  return {
    id,
    provider: SCRIPTED_PROVIDER,
    async converse(request: ConverseRequest): Promise<ConverseResponse> {
      const response = answer(request);
      if (response.metrics.latencyMs > 0) await sleep(response.metrics.latencyMs);
      return response;
    },
    async converseStream(request: ConverseRequest): Promise<AsyncIterable<ConverseStreamEvent>> {
      const response = answer(request);
      const pieces = streamPieces(replyText(response));
      // The same latency as the whole answer's, spread over its pieces: each comes after its share.
      const perPiece = response.metrics.latencyMs / Math.max(1, pieces.length);
      return (async function* () {
        yield { messageStart: { role: "assistant" } } as const;
        for (const text of pieces) {
          if (perPiece > 0) await sleep(perPiece);
          yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text } } };
        }
        yield { contentBlockStop: { contentBlockIndex: 0 } };
        yield { messageStop: { stopReason: response.stopReason } };
        yield { metadata: { usage: response.usage, metrics: response.metrics } };
      })();
    },
  };
}

/** Words a streamed piece holds, as a model streams a few tokens at a time. */
const WORDS_PER_PIECE = 8;

/** A text in the pieces a stream hands it on in: runs of {@link WORDS_PER_PIECE} words, white space kept, joined back exactly. */
export function streamPieces(text: string): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_PIECE) pieces.push(words.slice(i, i + WORDS_PER_PIECE).join(""));
  return pieces;
}

/** The latency the scripted model simulates for a request, before scaling: 5–20 ms. */
export function simulatedLatencyMs(request: ConverseRequest): number {
  const digest = createHash("sha256").update(canonicalJson(request)).digest();
  return MIN_LATENCY_MS + (digest.readUInt32BE(0) % LATENCY_SPREAD_MS);
}

/**
 * A deterministic token count that behaves like a real tokenizer's in the large: a word costs
 * one token per four characters (rounded up), each punctuation mark one.
 */
export function countTokens(text: string): number {
  let tokens = 0;
  for (const piece of text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []) {
    tokens += /^[\p{L}\p{N}]/u.test(piece) ? Math.ceil(piece.length / 4) : 1;
  }
  return tokens;
}

function countRequestTokens(request: ConverseRequest): number {
  const texts = [...(request.system ?? []), ...request.messages.flatMap((message) => message.content)];
  return texts.reduce((sum, block) => sum + countTokens(block.text), 0);
}

/** The system prompt's text. */
export function systemText(request: ConverseRequest): string {
  return (request.system ?? []).map((block) => block.text).join("\n");
}

/** The text of the last user message, or `""`. */
export function lastUserText(request: ConverseRequest): string {
  const last = request.messages.findLast((message) => message.role === "user");
  return last === undefined ? "" : last.content.map((block) => block.text).join("\n");
}

function preview(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}

/** JSON with object keys sorted, so that key order does not change the hash. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
