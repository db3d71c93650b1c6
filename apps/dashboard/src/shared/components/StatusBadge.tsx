/**
 * A status readable without colour: a shape and a word, the colour only reinforcing them.
 * Run statuses are `ok | error | running`; step statuses `ok | error` (the store reads
 * OpenTelemetry's unset status, a span that ended without an error, as ok).
 */
const LOOKS: Record<string, { icon: string; label: string; title?: string }> = {
  ok: { icon: "✓", label: "ok" },
  error: { icon: "✕", label: "error" },
  running: { icon: "◔", label: "running", title: "Still running, or its root span has not arrived yet" },
};

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  const known = LOOKS[status];
  const look = known ?? { icon: "?", label: status };
  return (
    <span className={`badge badge-${known === undefined ? "other" : status}`} data-testid={testId} data-status={status} title={look.title}>
      <span className="badge-icon" aria-hidden="true">
        {look.icon}
      </span>
      {look.label}
    </span>
  );
}

/** The shape alone, for dense rows; screen readers get the word. Usable from client components. */
export function StatusIcon({ status }: { status: string }) {
  const look = LOOKS[status] ?? { icon: "?", label: status };
  return (
    <span className={`status-icon status-icon-${status}`}>
      <span aria-hidden="true">{look.icon}</span>
      <span className="visually-hidden">{look.label}</span>
    </span>
  );
}
