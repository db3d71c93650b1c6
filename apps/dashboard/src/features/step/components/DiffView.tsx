"use client";

import { useMemo } from "react";
import { diffJson, preview } from "../fns/json";

/** The differences between two states, by path: added, removed, changed; values shown as text. */
export function DiffView({ before, after, testId, empty }: { before: unknown; after: unknown; testId: string; empty: string }) {
  const entries = useMemo(() => diffJson(before, after), [before, after]);
  if (entries.length === 0) {
    return (
      <p className="muted" data-testid={testId} data-changes="0">
        {empty}
      </p>
    );
  }
  return (
    <table className="diff" data-testid={testId} data-changes={entries.length}>
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Change</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry, i) => (
          <tr key={i} className={`diff-${entry.op}`} data-op={entry.op}>
            <td className="mono">{entry.path}</td>
            <td>
              <span className="diff-op">{entry.op === "added" ? "+ added" : entry.op === "removed" ? "− removed" : "~ changed"}</span>
            </td>
            <td className="mono">{entry.op === "added" ? "" : preview(entry.before)}</td>
            <td className="mono">{entry.op === "removed" ? "" : preview(entry.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
