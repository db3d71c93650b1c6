import type { RunSummary } from "@tracewright/store";
import { formatDuration, formatTimestamp, shortId } from "../../../shared/fns/format";

/** "Compare with…": another run of the same agent, picked in a plain GET form to `/compare`. */
export function ComparePicker({ run, others }: { run: RunSummary; others: readonly RunSummary[] }) {
  if (others.length === 0) return null;
  return (
    <form className="compare-picker" method="get" action="/compare" data-testid="compare-picker">
      <input type="hidden" name="a" value={run.runId} />
      <label htmlFor="compare-with">Compare with</label>
      <select id="compare-with" name="b" data-testid="compare-select" defaultValue={others[0]?.runId}>
        {others.map((other) => (
          <option key={other.runId} value={other.runId}>
            {`${shortId(other.runId)} · ${other.status} · ${formatTimestamp(other.startTime)} · ${formatDuration(other.durationMs)}`}
          </option>
        ))}
      </select>
      <button type="submit" data-testid="compare-submit">
        Compare
      </button>
    </form>
  );
}
