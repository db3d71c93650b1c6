/**
 * A model call's request and answer read as a conversation: who said what, in order, with the
 * tool calls the model asked for and the results it was handed. Read from the shapes the common
 * APIs record — Bedrock Converse (`system`, `messages[].content[]` of `text` / `toolUse` /
 * `toolResult`, the answer's `output.message`), OpenAI chat completions (`messages[].content`,
 * `tool_calls`, `choices[].message`), Anthropic messages (`system`, `content[]` of `text` /
 * `tool_use` / `tool_result`), LangChain messages as recorded (`{ lc: 1, type: "constructor",
 * id: [..., "HumanMessage"], kwargs }`), a streamed answer's events in any of these (see
 * {@link streamed}), and a plain `prompt` / `text` — and nothing else: a request of
 * another shape has no conversation, and its states are still shown as they are. Recorded data
 * is untrusted: every part is text, for the view to render as text.
 */

import { langchainSerialized } from "@tracewright/instrument/shared";

export type ChatPart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "tool_call"; readonly name: string; readonly id?: string; readonly args: string }
  | { readonly kind: "tool_result"; readonly id?: string; readonly text: string; readonly failed: boolean }
  /** A block of a kind not read here (an image, a document): its JSON. */
  | { readonly kind: "other"; readonly text: string };

export interface ChatMessage {
  readonly role: string;
  /** The request's messages, then the answer's. */
  readonly from: "request" | "answer";
  readonly parts: readonly ChatPart[];
}

export interface Conversation {
  readonly messages: readonly ChatMessage[];
  /** Request messages left out before `messages[omittedAt]`, past {@link MAX_MESSAGES}. */
  readonly omitted: number;
  readonly omittedAt: number;
}

/**
 * A request of thousands of messages shows its system prompt, its latest messages and the
 * answer, which are what a failed call is read for; the states below hold them all.
 */
export const MAX_MESSAGES = 200;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A value as text: a string as it is, anything else as indented JSON. */
function text(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Tool arguments: OpenAI's are a JSON text, pretty-printed when they parse; others an object. */
function args(value: unknown): string {
  if (typeof value !== "string") return text(value ?? {});
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/** A tool result's content: a string, or blocks of text and JSON (Bedrock `{ text }` / `{ json }`, Anthropic `{ type: "text" }`). */
function resultText(content: unknown): string {
  if (!Array.isArray(content)) return text(content);
  return content.map((block) => (isObj(block) ? (str(block.text) ?? (block.json !== undefined ? text(block.json) : text(block))) : text(block))).join("\n");
}

function part(block: unknown): ChatPart {
  if (typeof block === "string") return { kind: "text", text: block };
  if (!isObj(block)) return { kind: "other", text: text(block) };
  const type = str(block.type);
  const plain = str(block.text);
  if (plain !== undefined && (type === undefined || type === "text" || type === "input_text" || type === "output_text")) return { kind: "text", text: plain };
  // Bedrock Converse.
  if (isObj(block.toolUse)) return { kind: "tool_call", name: text(block.toolUse.name ?? "?"), ...idOf(block.toolUse.toolUseId), args: args(block.toolUse.input) };
  if (isObj(block.toolResult)) return { kind: "tool_result", ...idOf(block.toolResult.toolUseId), text: resultText(block.toolResult.content), failed: block.toolResult.status === "error" };
  // Anthropic.
  if (type === "tool_use") return { kind: "tool_call", name: text(block.name ?? "?"), ...idOf(block.id), args: args(block.input) };
  if (type === "tool_result") return { kind: "tool_result", ...idOf(block.tool_use_id), text: resultText(block.content), failed: block.is_error === true };
  // LangChain's standard content blocks (`outputVersion: "v1"`).
  if (type === "tool_call") return { kind: "tool_call", name: text(block.name ?? "?"), ...idOf(block.id), args: args(block.args) };
  return { kind: "other", text: text(block) };
}

function idOf(id: unknown): { id?: string } {
  return typeof id === "string" ? { id } : {};
}

function contentParts(content: unknown): ChatPart[] {
  if (content === undefined || content === null) return [];
  return Array.isArray(content) ? content.map(part) : [part(content)];
}

/** LangChain's message classes, by the role each speaks in ("" for `ChatMessage`, whose `role` says). */
const LANGCHAIN_ROLES = new Map<string, string>([
  ["HumanMessage", "user"],
  ["HumanMessageChunk", "user"],
  ["AIMessage", "assistant"],
  ["AIMessageChunk", "assistant"],
  ["SystemMessage", "system"],
  ["SystemMessageChunk", "system"],
  ["ToolMessage", "tool"],
  ["ToolMessageChunk", "tool"],
  ["FunctionMessage", "tool"],
  ["ChatMessage", ""],
  ["ChatMessageChunk", ""],
]);

/** A LangChain message as recorded (what its `toJSON` writes): its class's role and its `kwargs`; undefined for anything else. */
function langchain(value: Obj): { role: string; chunk: boolean; kwargs: Obj } | undefined {
  const lc = langchainSerialized(value);
  const role = lc === undefined ? undefined : LANGCHAIN_ROLES.get(lc.className);
  if (lc === undefined || role === undefined) return undefined;
  return { role: role === "" ? (str(lc.kwargs.role) ?? "user") : role, chunk: lc.className.endsWith("Chunk"), kwargs: lc.kwargs };
}

/**
 * A LangChain message's `tool_calls` (`{ name, args, id }`) as OpenAI's, but for those its content
 * blocks hold already (ChatAnthropic's answer keeps each call as a `tool_use` block too).
 */
function langchainCalls(k: Obj): Obj[] {
  if (!Array.isArray(k.tool_calls)) return [];
  const inContent = new Set(Array.isArray(k.content) ? k.content.flatMap((block) => (isObj(block) && (block.type === "tool_use" || block.type === "tool_call") && typeof block.id === "string" ? [block.id] : [])) : []);
  return k.tool_calls.filter((call): call is Obj => isObj(call) && !(typeof call.id === "string" && inContent.has(call.id))).map((call) => ({ ...idOf(call.id), function: { name: call.name, arguments: call.args } }));
}

/** A LangChain message in the OpenAI shape {@link message} reads: its content, its tool calls, a tool message's call id and status. */
function fromLangChain(value: Obj): Obj | undefined {
  const lc = langchain(value);
  if (lc === undefined) return undefined;
  const k = lc.kwargs;
  const calls = langchainCalls(k);
  return {
    role: lc.role,
    // A turn of tool calls alone has no text.
    content: k.content === "" && calls.length > 0 ? null : k.content,
    ...(calls.length === 0 ? {} : { tool_calls: calls }),
    ...(typeof k.tool_call_id === "string" ? { tool_call_id: k.tool_call_id } : {}),
    ...(k.status === "error" ? { status: "error" } : {}),
  };
}

/** A message's role as the request lists it: its own `role`, or its LangChain class's. */
function roleOf(value: unknown): string | undefined {
  if (!isObj(value)) return undefined;
  return str(value.role) ?? langchain(value)?.role;
}

function message(recorded: unknown, from: ChatMessage["from"], defaultRole: string): ChatMessage | undefined {
  if (!isObj(recorded)) return typeof recorded === "string" ? { role: defaultRole, from, parts: [{ kind: "text", text: recorded }] } : undefined;
  const value = fromLangChain(recorded) ?? recorded;
  const parts = contentParts(value.content);
  // OpenAI: the calls the model asked for, beside (or instead of) its text.
  if (Array.isArray(value.tool_calls)) {
    for (const call of value.tool_calls) {
      if (!isObj(call)) continue;
      const fn = isObj(call.function) ? call.function : {};
      parts.push({ kind: "tool_call", name: text(fn.name ?? "?"), ...idOf(call.id), args: args(fn.arguments) });
    }
  }
  const role = str(value.role) ?? defaultRole;
  // OpenAI: a tool's answer is a message of its own, its content the result.
  if (role === "tool" && parts.length > 0 && parts.every((p) => p.kind === "text")) {
    return { role, from, parts: [{ kind: "tool_result", ...idOf(value.tool_call_id), text: parts.map((p) => (p.kind === "text" ? p.text : "")).join("\n"), failed: value.status === "error" }] };
  }
  return { role, from, parts };
}

/** The request's system prompt: a string, or text blocks (Bedrock `[{ text }]`, Anthropic `[{ type: "text", text }]`). */
function system(value: unknown): ChatMessage | undefined {
  if (value === undefined || value === null) return undefined;
  const parts = contentParts(value);
  return parts.length === 0 ? undefined : { role: "system", from: "request", parts };
}

function answer(output: unknown): ChatMessage[] {
  if (typeof output === "string") return [{ role: "assistant", from: "answer", parts: [{ kind: "text", text: output }] }];
  if (!isObj(output)) return [];
  // LangChain: the model's AIMessage.
  if (langchain(output) !== undefined) return [message(output, "answer", "assistant")].filter((m) => m !== undefined);
  // Bedrock Converse.
  if (isObj(output.output) && isObj(output.output.message)) return [message(output.output.message, "answer", "assistant")].filter((m) => m !== undefined);
  // OpenAI chat completions.
  if (Array.isArray(output.choices)) {
    return output.choices.flatMap((choice) => (isObj(choice) && isObj(choice.message) ? [message(choice.message, "answer", "assistant")] : [])).filter((m) => m !== undefined);
  }
  // Anthropic messages.
  if (Array.isArray(output.content)) return [message(output, "answer", "assistant")].filter((m) => m !== undefined);
  if (typeof output.text === "string") return [{ role: "assistant", from: "answer", parts: [{ kind: "text", text: output.text }] }];
  // A streamed answer (llmStream, Bedrock ConverseStream): its events, put back together.
  if (Array.isArray(output.events)) return streamed(output.events).map((m) => message(m, "answer", "assistant")).filter((m) => m !== undefined);
  return [];
}

/** A content block being put together from a stream's deltas. */
interface Block {
  text: string;
  tool?: { id?: string; name: string; input: string };
}

/**
 * How many content blocks, tool calls or choices a streamed answer is put back together into, at
 * most: a stream of more (a malformed one: an index per event) shows its first ones.
 */
const MAX_STREAMED_PARTS = MAX_MESSAGES;

/** A stream's index: a whole number from 0, else 0. */
function indexOf(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : 0;
}

/** The entry at `index` of `entries`, made when first met; undefined past {@link MAX_STREAMED_PARTS}. */
function entryAt<T>(entries: Map<number, T>, index: number, make: () => T): T | undefined {
  let entry = entries.get(index);
  if (entry === undefined) {
    if (entries.size >= MAX_STREAMED_PARTS) return undefined;
    entries.set(index, (entry = make()));
  }
  return entry;
}

/** The block at `index` of `blocks`, made when first met. */
function blockAt(blocks: Map<number, Block>, index: unknown): Block | undefined {
  return entryAt(blocks, indexOf(index), () => ({ text: "" }));
}

/** A tool call's streamed arguments: the object they parse to, else their text. */
function streamedArgs(input: string): unknown {
  if (input === "") return {};
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/**
 * A LangChain `AIMessageChunk` as the OpenAI chunk it stands for: its text (a string, or the text
 * of its content blocks), its `tool_call_chunks` (`{ name, args, id, index }`) as tool call deltas.
 */
function langchainDelta(event: Obj): Obj | undefined {
  const lc = langchain(event);
  if (lc === undefined) return undefined;
  const k = lc.kwargs;
  const content = typeof k.content === "string" ? k.content : Array.isArray(k.content) ? k.content.map((block) => (isObj(block) ? (str(block.text) ?? "") : "")).join("") : undefined;
  // A chunk's calls come in pieces (its `tool_calls` are those pieces parsed, so far); a whole
  // message in a stream (a model that does not stream yields its answer once) has them whole.
  const calls = lc.chunk
    ? Array.isArray(k.tool_call_chunks)
      ? k.tool_call_chunks.filter(isObj).map((call) => ({ ...(call.index === undefined || call.index === null ? {} : { index: call.index }), ...idOf(call.id), function: { name: call.name, arguments: call.args } }))
      : []
    : langchainCalls(k).map((call, index) => ({ ...call, index, function: { ...(call.function as Obj), arguments: JSON.stringify((call.function as Obj).arguments ?? {}) } }));
  return { choices: [{ index: 0, delta: { role: lc.role, ...(content === undefined ? {} : { content }), ...(calls.length === 0 ? {} : { tool_calls: calls }) } }] };
}

/**
 * A stream's events as the messages they add up to, in the shape of the API that streamed them:
 * OpenAI chunks (`choices[].delta`: content, tool calls by index) as one message per choice;
 * Anthropic events (`content_block_start` / `content_block_delta`: text and `input_json_delta`) and
 * Bedrock ConverseStream events (`contentBlockStart` / `contentBlockDelta`) as one message of
 * content blocks; LangChain's `AIMessageChunk`s as OpenAI chunks. One pass over the events.
 */
export function streamed(events: readonly unknown[]): Obj[] {
  const choices = new Map<number, { role: string; content: string; calls: Map<number, { id?: string; name: string; arguments: string }>; last: number }>();
  const blocks = new Map<number, Block>();
  let role = "assistant";
  let shape: "anthropic" | "bedrock" | undefined;
  for (const recorded of events) {
    if (!isObj(recorded)) continue;
    const event = langchainDelta(recorded) ?? recorded;
    if (Array.isArray(event.choices)) {
      for (const choice of event.choices) {
        if (!isObj(choice) || !isObj(choice.delta)) continue;
        const c = entryAt(choices, indexOf(choice.index), () => ({ role: "assistant", content: "", calls: new Map(), last: 0 }));
        if (c === undefined) continue;
        const delta = choice.delta;
        if (typeof delta.role === "string") c.role = delta.role;
        if (typeof delta.content === "string") c.content += delta.content;
        if (Array.isArray(delta.tool_calls)) {
          for (const call of delta.tool_calls) {
            if (!isObj(call)) continue;
            // A delta with no index goes on with the call before it, unless it names a call of its
            // own (an id other than that call's: a provider sending whole calls without indexes).
            const before = c.calls.get(c.last);
            const own = typeof call.id === "string" && before?.id !== undefined && before.id !== call.id;
            const at = call.index !== undefined ? indexOf(call.index) : own ? Math.max(...c.calls.keys()) + 1 : c.last;
            const known = entryAt(c.calls, at, () => ({ name: "", arguments: "" }));
            if (known === undefined) continue;
            c.last = at;
            if (typeof call.id === "string") known.id = call.id;
            const fn = isObj(call.function) ? call.function : {};
            // The name comes whole (in the call's first delta, or again in each), the arguments in pieces.
            if (typeof fn.name === "string" && fn.name !== "") known.name = fn.name;
            if (typeof fn.arguments === "string") known.arguments += fn.arguments;
          }
        }
      }
      continue;
    }
    const type = str(event.type);
    if (type !== undefined) {
      // Anthropic.
      if (type === "message_start" && isObj(event.message) && typeof event.message.role === "string") role = event.message.role;
      else if (type === "content_block_start" && isObj(event.content_block)) {
        const start = event.content_block;
        const block = blockAt(blocks, event.index);
        if (block === undefined) continue;
        if (typeof start.text === "string") block.text += start.text;
        if (start.type === "tool_use") block.tool = { ...idOf(start.id), name: text(start.name ?? "?"), input: "" };
      } else if (type === "content_block_delta" && isObj(event.delta)) {
        const block = blockAt(blocks, event.index);
        if (block === undefined) continue;
        if (typeof event.delta.text === "string") block.text += event.delta.text;
        if (typeof event.delta.partial_json === "string") (block.tool ??= { name: "?", input: "" }).input += event.delta.partial_json;
      } else continue;
      shape = "anthropic";
      continue;
    }
    // Bedrock ConverseStream.
    if (isObj(event.messageStart) && typeof event.messageStart.role === "string") role = event.messageStart.role;
    else if (isObj(event.contentBlockStart)) {
      const use = isObj(event.contentBlockStart.start) && isObj(event.contentBlockStart.start.toolUse) ? event.contentBlockStart.start.toolUse : undefined;
      const block = blockAt(blocks, event.contentBlockStart.contentBlockIndex);
      if (block === undefined) continue;
      if (use !== undefined) block.tool = { ...idOf(use.toolUseId), name: text(use.name ?? "?"), input: "" };
    } else if (isObj(event.contentBlockDelta) && isObj(event.contentBlockDelta.delta)) {
      const delta = event.contentBlockDelta.delta;
      const block = blockAt(blocks, event.contentBlockDelta.contentBlockIndex);
      if (block === undefined) continue;
      if (typeof delta.text === "string") block.text += delta.text;
      if (isObj(delta.toolUse) && typeof delta.toolUse.input === "string") (block.tool ??= { name: "?", input: "" }).input += delta.toolUse.input;
    } else continue;
    shape = "bedrock";
  }
  if (choices.size > 0) {
    return [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({
        role: c.role,
        // A turn of tool calls alone has no text.
        content: c.content === "" && c.calls.size > 0 ? null : c.content,
        ...(c.calls.size === 0 ? {} : { tool_calls: [...c.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => ({ ...idOf(call.id), function: { name: call.name, arguments: call.arguments } })) }),
      }));
  }
  if (shape === undefined) return [];
  // A block with neither text nor a tool call (a reasoning block, read here as neither) is left out.
  const ordered = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, block]) => block)
    .filter((block) => block.tool !== undefined || block.text !== "");
  const content = ordered.map((block) => {
    if (block.tool === undefined) return shape === "anthropic" ? { type: "text", text: block.text } : { text: block.text };
    const input = streamedArgs(block.tool.input);
    return shape === "anthropic" ? { type: "tool_use", ...idOf(block.tool.id), name: block.tool.name, input } : { toolUse: { ...(block.tool.id === undefined ? {} : { toolUseId: block.tool.id }), name: block.tool.name, input } };
  });
  return [{ role, content }];
}

/** The conversation in a model call's request and answer; undefined when the request holds none in a shape read here. */
export function conversationOf(input: unknown, output: unknown): Conversation | undefined {
  if (!isObj(input)) return undefined;
  const sys = system(input.system);
  const listed: unknown[] = Array.isArray(input.messages) ? input.messages : typeof input.prompt === "string" ? [input.prompt] : [];
  if (sys === undefined && listed.length === 0) return undefined;
  const answers = answer(output).slice(0, MAX_MESSAGES - 2);
  const room = MAX_MESSAGES - answers.length - (sys === undefined ? 0 : 1);
  // The system prompt and the system messages that open the list (OpenAI's place for it) are
  // always shown; of the rest, the latest. Only those shown are read.
  let head = 0;
  while (head < listed.length && head < room - 1 && roleOf(listed[head]) === "system") head++;
  const tail = Math.min(listed.length - head, room - head);
  const shown = [...listed.slice(0, head), ...listed.slice(listed.length - tail)];
  const read = (m: unknown): ChatMessage | undefined => message(m, "request", "user");
  const messages = shown.map(read).filter((m): m is ChatMessage => m !== undefined);
  if (sys === undefined && messages.length === 0) return undefined;
  const omitted = listed.length - shown.length;
  return { messages: [...(sys === undefined ? [] : [sys]), ...messages, ...answers], omitted, omittedAt: omitted === 0 ? 0 : (sys === undefined ? 0 : 1) + head };
}
