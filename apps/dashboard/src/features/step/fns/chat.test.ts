import { describe, expect, it } from "vitest";
import { conversationOf, MAX_MESSAGES, streamed } from "./chat";

describe("conversationOf", () => {
  it("reads a Bedrock Converse request and answer: system, text, tool use and results", () => {
    const request = {
      modelId: "anthropic.claude-3-5-haiku",
      system: [{ text: "You are terse." }],
      messages: [
        { role: "user", content: [{ text: "Price of Lambda?" }] },
        { role: "assistant", content: [{ text: "Looking it up." }, { toolUse: { toolUseId: "t1", name: "web_search", input: { q: "lambda pricing" } } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "$0.20 per 1M" }, { json: { n: 1 } }], status: "error" } }, { image: { format: "png" } }] },
      ],
    };
    const answer = { output: { message: { role: "assistant", content: [{ text: "About $0.20\\nper million." }] } }, stopReason: "end_turn" };
    const c = conversationOf(request, answer);
    expect(c?.messages.map((m) => [m.role, m.from, m.parts.map((p) => p.kind)])).toEqual([
      ["system", "request", ["text"]],
      ["user", "request", ["text"]],
      ["assistant", "request", ["text", "tool_call"]],
      ["user", "request", ["tool_result", "other"]],
      ["assistant", "answer", ["text"]],
    ]);
    expect(c?.messages[2]?.parts[1]).toEqual({ kind: "tool_call", name: "web_search", id: "t1", args: '{\n  "q": "lambda pricing"\n}' });
    expect(c?.messages[3]?.parts[0]).toEqual({ kind: "tool_result", id: "t1", text: '$0.20 per 1M\n{\n  "n": 1\n}', failed: true });
    expect(c?.omitted).toBe(0);
  });

  it("reads OpenAI chat completions: tool_calls with JSON-text arguments, tool messages, choices", () => {
    const request = {
      model: "gpt-4o",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Weather?" }, { type: "image_url", image_url: { url: "https://x" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }, { id: "c2", function: { name: "bad", arguments: "{not json" } }] },
        { role: "tool", tool_call_id: "c1", content: '{"temp":3}' },
      ],
    };
    const c = conversationOf(request, { choices: [{ message: { role: "assistant", content: "3°C in Oslo." } }] });
    expect(c?.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant"]);
    expect(c?.messages[1]?.parts.map((p) => p.kind)).toEqual(["text", "other"]);
    expect(c?.messages[2]?.parts).toEqual([
      { kind: "tool_call", name: "weather", id: "c1", args: '{\n  "city": "Oslo"\n}' },
      { kind: "tool_call", name: "bad", id: "c2", args: "{not json" },
    ]);
    expect(c?.messages[3]?.parts).toEqual([{ kind: "tool_result", id: "c1", text: '{"temp":3}', failed: false }]);
    expect(c?.messages[4]).toMatchObject({ from: "answer", parts: [{ kind: "text", text: "3°C in Oslo." }] });
  });

  it("reads Anthropic messages, a plain prompt and a text answer", () => {
    const anthropic = conversationOf(
      { model: "claude", system: "Sys.", messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "u1", content: [{ type: "text", text: "42" }], is_error: true }] }] },
      { role: "assistant", content: [{ type: "text", text: "Hm." }, { type: "tool_use", id: "u2", name: "calc", input: { x: 1 } }] },
    );
    expect(anthropic?.messages.map((m) => [m.role, m.parts.map((p) => p.kind)])).toEqual([
      ["system", ["text"]],
      ["user", ["tool_result"]],
      ["assistant", ["text", "tool_call"]],
    ]);
    expect(anthropic?.messages[1]?.parts[0]).toMatchObject({ text: "42", failed: true });
    expect(conversationOf({ model: "m", prompt: "Hi" }, { text: "Hello" })?.messages.map((m) => [m.role, m.from])).toEqual([["user", "request"], ["assistant", "answer"]]);
    // No answer yet (the call failed): the request alone.
    expect(conversationOf({ model: "m", prompt: "Hi" }, undefined)?.messages).toHaveLength(1);
  });

  it("reads LangChain messages as recorded (their toJSON): classes as roles, tool calls and a failed tool message, the AIMessage answer", () => {
    // As @langchain/core 1.4 serializes them (the instrumentation records what toJSON writes).
    const lc = (cls: string, kwargs: Record<string, unknown>) => ({ lc: 1, type: "constructor", id: ["langchain_core", "messages", cls], kwargs: { additional_kwargs: {}, response_metadata: {}, ...kwargs } });
    const request = {
      model: "claude-sonnet",
      messages: [
        lc("SystemMessage", { content: "You are terse." }),
        lc("HumanMessage", { content: "Weather in Oslo?" }),
        lc("AIMessage", { content: "", tool_calls: [{ name: "weather", args: { city: "Oslo" }, id: "call_1", type: "tool_call" }], invalid_tool_calls: [] }),
        lc("ToolMessage", { content: "no such city", tool_call_id: "call_1", status: "error" }),
        lc("ChatMessage", { content: "note", role: "critic" }),
        lc("HumanMessage", { content: [{ type: "text", text: "And <b>Bergen</b>?" }, { type: "image_url", image_url: { url: "https://x" } }] }),
      ],
    };
    const answer = lc("AIMessage", { content: "Rain.", tool_calls: [], usage_metadata: { input_tokens: 42, output_tokens: 2, total_tokens: 44 } });
    const c = conversationOf(request, answer);
    expect(c?.messages.map((m) => [m.role, m.from, m.parts.map((p) => p.kind)])).toEqual([
      ["system", "request", ["text"]],
      ["user", "request", ["text"]],
      ["assistant", "request", ["tool_call"]],
      ["tool", "request", ["tool_result"]],
      ["critic", "request", ["text"]],
      ["user", "request", ["text", "other"]],
      ["assistant", "answer", ["text"]],
    ]);
    expect(c?.messages[2]?.parts[0]).toEqual({ kind: "tool_call", name: "weather", id: "call_1", args: '{\n  "city": "Oslo"\n}' });
    expect(c?.messages[3]?.parts[0]).toEqual({ kind: "tool_result", id: "call_1", text: "no such city", failed: true });
    expect(c?.messages[5]?.parts[0]).toEqual({ kind: "text", text: "And <b>Bergen</b>?" });
    expect(c?.messages[6]?.parts).toEqual([{ kind: "text", text: "Rain." }]);
    // The system messages that open the list stay in view when a long request is cut.
    const long = { messages: [request.messages[0], ...Array.from({ length: MAX_MESSAGES + 20 }, (_, i) => lc("HumanMessage", { content: `m${i}` }))] };
    const cut = conversationOf(long, answer);
    expect(cut?.messages[0]?.role).toBe("system");
    expect(cut?.omitted).toBe(22);
    // Something that only looks like one (another class, no kwargs) is not read as a message of LangChain's.
    expect(conversationOf({ messages: [{ lc: 1, type: "constructor", id: ["x", "Tool"], kwargs: { content: "?" } }, { lc: 1, type: "constructor", id: ["__proto__"], kwargs: {} }] }, undefined)?.messages.map((m) => m.role)).toEqual(["user", "user"]);
  });

  it("shows a LangChain answer's tool call once when its content blocks hold it too (ChatAnthropic's tool_use, standard tool_call blocks)", () => {
    const lc = (kwargs: Record<string, unknown>) => ({ lc: 1, type: "constructor", id: ["langchain_core", "messages", "AIMessage"], kwargs });
    const calls = [{ name: "search", args: { q: "x" }, id: "toolu_1", type: "tool_call" }];
    const anthropic = lc({ content: [{ type: "text", text: "Let me look." }, { type: "tool_use", id: "toolu_1", name: "search", input: { q: "x" } }], tool_calls: calls });
    const standard = lc({ content: [{ type: "text", text: "Let me look." }, { type: "tool_call", id: "toolu_1", name: "search", args: { q: "x" } }], tool_calls: calls });
    for (const answer of [anthropic, standard]) {
      expect(conversationOf({ messages: [{ role: "user", content: "q?" }] }, answer)?.messages[1]?.parts).toEqual([
        { kind: "text", text: "Let me look." },
        { kind: "tool_call", name: "search", id: "toolu_1", args: '{\n  "q": "x"\n}' },
      ]);
    }
    // A stream of a model that does not stream: its whole AIMessage, once, tool calls and all.
    expect(streamed([lc({ content: "", tool_calls: calls })])).toEqual([{ role: "assistant", content: null, tool_calls: [{ id: "toolu_1", function: { name: "search", arguments: '{"q":"x"}' } }] }]);
  });

  it("has none for a request of another shape, and takes odd messages without a throw", () => {
    expect(conversationOf({ query: "q" }, { text: "a" })).toBeUndefined();
    expect(conversationOf("a string", undefined)).toBeUndefined();
    expect(conversationOf({ messages: [] }, undefined)).toBeUndefined();
    const odd = conversationOf({ messages: [null, 7, "bare text", { role: 5, content: { weird: true } }, { content: [null, 3, { type: "text" }] }] }, { output: 1 });
    expect(odd?.messages.map((m) => [m.role, m.parts.map((p) => p.kind)])).toEqual([
      ["user", ["text"]],
      ["user", ["other"]],
      ["user", ["other", "other", "other"]],
    ]);
  });

  it("shows the system prompt, the latest messages and the answer of a long request", () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content: `m${i}` }));
    const c = conversationOf({ system: "S", messages }, { text: "done" });
    expect(c?.messages).toHaveLength(MAX_MESSAGES);
    expect(c?.omittedAt).toBe(1);
    expect(c?.omitted).toBe(1001 - (MAX_MESSAGES - 1));
    expect(c?.messages[0]?.role).toBe("system");
    expect(c?.messages[1]?.parts[0]).toEqual({ kind: "text", text: `m${1000 - (MAX_MESSAGES - 2)}` });
    expect(c?.messages.at(-2)?.parts[0]).toEqual({ kind: "text", text: "m999" });
    expect(c?.messages.at(-1)?.from).toBe("answer");
    // OpenAI's system prompt is the first message: kept too.
    const openai = conversationOf({ model: "gpt", messages: [{ role: "system", content: "Be brief." }, ...messages] }, { choices: [{ message: { role: "assistant", content: "ok" } }] });
    expect(openai?.messages).toHaveLength(MAX_MESSAGES);
    expect(openai?.messages[0]).toMatchObject({ role: "system", parts: [{ kind: "text", text: "Be brief." }] });
    expect(openai?.omittedAt).toBe(1);
    expect(openai?.messages.at(-2)?.parts[0]).toEqual({ kind: "text", text: "m999" });
  });

  it("puts a streamed answer back together: OpenAI chunks, Anthropic events and Bedrock ConverseStream events", () => {
    const request = { model: "m", messages: [{ role: "user", content: "Resize it?" }] };
    const chunk = (delta: unknown, index = 0) => ({ choices: [{ index, delta }], usage: null });
    const openai = conversationOf(request, {
      events: [
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "Moving it " }),
        chunk({ content: "to arm64." }),
        chunk({ tool_calls: [{ index: 0, id: "call_1", function: { name: "deploy", arguments: '{"arch"' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: ':"arm64"}' } }] }),
        { choices: [], usage: { prompt_tokens: 3 } },
      ],
      usage: { prompt_tokens: 3 },
    });
    expect(openai?.messages.at(-1)).toEqual({
      role: "assistant",
      from: "answer",
      parts: [
        { kind: "text", text: "Moving it to arm64." },
        { kind: "tool_call", name: "deploy", id: "call_1", args: '{\n  "arch": "arm64"\n}' },
      ],
    });
    const anthropic = conversationOf(request, {
      events: [
        { type: "message_start", message: { role: "assistant", usage: { input_tokens: 3 } } },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Deploying." } },
        { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_1", name: "deploy", input: {} } },
        { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"arch": "ar' } },
        { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: 'm64"}' } },
        { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } },
      ],
    });
    expect(anthropic?.messages.at(-1)?.parts).toEqual([
      { kind: "text", text: "Deploying." },
      { kind: "tool_call", name: "deploy", id: "toolu_1", args: '{\n  "arch": "arm64"\n}' },
    ]);
    const bedrock = conversationOf(request, {
      response: {},
      events: [
        { messageStart: { role: "assistant" } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "Move image-resize" } } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: " to arm64." } } },
        { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: "t1", name: "deploy" } } } },
        // Arguments cut short (the reader stopped): shown as the text that came.
        { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"arch":' } } } },
        { messageStop: { stopReason: "tool_use" } },
      ],
      abandoned: true,
    });
    expect(bedrock?.messages.at(-1)?.parts).toEqual([
      { kind: "text", text: "Move image-resize to arm64." },
      { kind: "tool_call", name: "deploy", id: "t1", args: '{"arch":' },
    ]);
    // Events of no shape read here: the request alone.
    expect(conversationOf(request, { events: [{ token: "x" }, null, 3] })?.messages).toHaveLength(1);
  });

  it("puts a LangChain stream back together: AIMessageChunks' text and their tool_call_chunks", () => {
    const chunk = (kwargs: Record<string, unknown>) => ({ lc: 1, type: "constructor", id: ["langchain_core", "messages", "AIMessageChunk"], kwargs: { tool_calls: [], invalid_tool_calls: [], additional_kwargs: {}, response_metadata: {}, ...kwargs } });
    const events = [
      chunk({ content: "Checking", usage_metadata: { input_tokens: 10, output_tokens: 0, total_tokens: 10 }, tool_call_chunks: [] }),
      chunk({ content: " the <b>weather</b>.", tool_call_chunks: [{ name: "weather", args: '{"city":', id: "call_1", index: 0, type: "tool_call_chunk" }] }),
      chunk({ content: "", tool_call_chunks: [{ args: '"Oslo"}', index: 0, type: "tool_call_chunk" }] }),
      // Anthropic's through LangChain: content blocks.
      chunk({ content: [{ type: "text", text: " Done.", index: 1 }], tool_call_chunks: [] }),
    ];
    expect(streamed(events)).toEqual([{ role: "assistant", content: "Checking the <b>weather</b>. Done.", tool_calls: [{ id: "call_1", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] }]);
    const c = conversationOf({ messages: [{ role: "user", content: "Weather?" }] }, { events });
    expect(c?.messages[1]?.parts).toEqual([
      { kind: "text", text: "Checking the <b>weather</b>. Done." },
      { kind: "tool_call", name: "weather", id: "call_1", args: '{\n  "city": "Oslo"\n}' },
    ]);
  });

  it("takes a stream's odd deltas as the SDKs do: a name sent again, a delta without an index, indexes that are no index, reasoning blocks, a flood of indexes", () => {
    const call = (c: Record<string, unknown>) => ({ choices: [{ index: 0, delta: { tool_calls: [c] } }] });
    const [repeated] = streamed([
      call({ index: 0, id: "c1", function: { name: "get_weather", arguments: '{"city":' } }),
      call({ function: { name: "get_weather", arguments: '"Oslo"}' } }),
      call({ index: "1", function: { arguments: "" } }),
    ]);
    expect(repeated?.tool_calls).toEqual([{ id: "c1", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }]);
    // Whole calls without indexes, told apart by their ids.
    const [whole] = streamed([{ choices: [{ index: 0, delta: { tool_calls: [{ id: "c1", function: { name: "a", arguments: "{}" } }, { id: "c2", function: { name: "b", arguments: "{}" } }] } }] }]);
    expect(whole?.tool_calls).toEqual([
      { id: "c1", function: { name: "a", arguments: "{}" } },
      { id: "c2", function: { name: "b", arguments: "{}" } },
    ]);
    // Anthropic's thinking block (neither text nor a tool call here) is left out, not an empty text.
    expect(
      streamed([
        { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } },
        { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Yes." } },
      ]),
    ).toEqual([{ role: "assistant", content: [{ type: "text", text: "Yes." }] }]);
    // An index per event: the first blocks are shown, the rest left out.
    const flood = Array.from({ length: 100_000 }, (_, i) => ({ contentBlockDelta: { contentBlockIndex: i, delta: { text: `b${i}` } } }));
    const [many] = streamed(flood);
    expect(many?.content).toHaveLength(MAX_MESSAGES);
    expect((many?.content as { text: string }[])[0]).toEqual({ text: "b0" });
    expect(streamed([{ contentBlockDelta: { contentBlockIndex: Number.NaN, delta: { text: "x" } } }, { contentBlockDelta: { contentBlockIndex: -3, delta: { text: "y" } } }])).toEqual([{ role: "assistant", content: [{ text: "xy" }] }]);
  });
});
