import type { ReactNode } from "react";

/** A page with nothing to show says why, and what to do about it. */
export function EmptyState({ title, reason, children }: { title: string; reason: string; children?: ReactNode }) {
  return (
    <section className="empty-state" data-testid="empty-state" data-reason={reason}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** How to get a first run into the store: the two commands the README documents. */
export function RecordARun() {
  return (
    <div className="record-hint">
      <p>Record a run from the repository root:</p>
      <ul>
        <li>
          <code>npm start</code> — builds, starts the collector and runs the reference agents&apos; scenarios (some fail on purpose)
        </li>
        <li>
          <code>npx tracewright agents run supervisor</code> — one run of the supervisor agent
        </li>
      </ul>
      <p>Then reload this page.</p>
    </div>
  );
}
