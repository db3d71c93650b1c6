import { Fragment } from "react";
import type { ChatPart, Conversation } from "../fns/chat";

/** Role classes the stylesheet knows; any other role (recorded data) is shown by name in the neutral style. */
const ROLES = new Set(["system", "user", "assistant", "tool"]);

/**
 * A model call's conversation (fns/chat.ts): each message with its role, text as written
 * (line breaks kept), the tool calls asked for and the results handed back. Recorded data is
 * rendered as text only.
 */
export function ChatView({ conversation }: { conversation: Conversation }) {
  return (
    <section className="state chat" aria-labelledby="chat-heading" data-testid="step-chat">
      <h3 id="chat-heading">Conversation</h3>
      <ol className="chat-list">
        {conversation.messages.map((m, i) => (
          <Fragment key={i}>
            {conversation.omitted > 0 && i === conversation.omittedAt ? (
              <li className="chat-omitted muted small" data-testid="chat-omitted">
                {conversation.omitted} earlier {conversation.omitted === 1 ? "message" : "messages"} not shown: the input state holds them all.
              </li>
            ) : null}
            <li className={`chat-message chat-${ROLES.has(m.role) ? m.role : "other"}${m.from === "answer" ? " chat-answer" : ""}`} data-testid="chat-message" data-role={m.role} data-from={m.from}>
              <div className="chat-role small">
                {m.role}
                {m.from === "answer" ? <span className="muted"> · answer</span> : null}
              </div>
              {m.parts.length === 0 ? <p className="muted small">(no content)</p> : m.parts.map((p, j) => <Part key={j} part={p} />)}
            </li>
          </Fragment>
        ))}
      </ol>
    </section>
  );
}

function Part({ part }: { part: ChatPart }) {
  switch (part.kind) {
    case "text":
      return <p className="chat-text">{part.text}</p>;
    case "tool_call":
      return (
        <div className="chat-tool" data-testid="chat-tool-call">
          <div className="small">
            <span aria-hidden="true">→ </span>calls <code>{part.name}</code>
            {part.id === undefined ? null : <span className="muted mono"> {part.id}</span>}
          </div>
          <pre className="json">{part.args}</pre>
        </div>
      );
    case "tool_result":
      return (
        <div className={`chat-tool${part.failed ? " chat-tool-failed" : ""}`} data-testid="chat-tool-result">
          <div className="small">
            <span aria-hidden="true">← </span>
            {part.failed ? "error result" : "result"}
            {part.id === undefined ? null : <span className="muted mono"> {part.id}</span>}
          </div>
          <pre className="json">{part.text}</pre>
        </div>
      );
    default:
      return <pre className="json chat-other">{part.text}</pre>;
  }
}
