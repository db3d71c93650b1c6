import { formatBytes } from "../../../shared/fns/format";
import { stateText } from "../fns/state";

/** A recorded state, printed as text inside `<pre>`: untrusted data is never markup. */
export function StateBlock({ title, value, testId }: { title: string; value: unknown; testId: string }) {
  const state = stateText(value);
  return (
    <section className="state">
      <h3>
        {title}
        <span className="muted small">
          {" "}
          · {formatBytes(state.bytes)}
          {state.plain ? " · text" : " · JSON"}
        </span>
      </h3>
      <pre className="json" data-testid={testId} tabIndex={0}>
        {state.text}
      </pre>
    </section>
  );
}
