/**
 * Display formatting shared by every page. Pure and deterministic: times are shown in UTC so
 * that the server's time zone never changes what a page says.
 */

/** A duration in milliseconds, in the coarsest unit that keeps three significant figures. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms === 0) return "0 ms";
  if (ms < 1) return `${trim(ms.toFixed(2))} ms`;
  if (ms < 10) return `${trim(ms.toFixed(1))} ms`;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${trim(s.toFixed(2))} s`;
  if (s < 60) return `${trim(s.toFixed(1))} s`;
  const totalSeconds = Math.round(s);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const sec = totalSeconds % 60;
  if (h > 0) return `${h}h ${pad2(m)}m`;
  return `${m}m ${pad2(sec)}s`;
}

/** An ISO 8601 instant as `YYYY-MM-DD HH:MM:SS UTC` (with milliseconds when asked). */
export function formatTimestamp(iso: string, options: { millis?: boolean } = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const text = new Date(t).toISOString();
  const date = text.slice(0, 10);
  const time = options.millis === true ? text.slice(11, 23) : text.slice(11, 19);
  return `${date} ${time} UTC`;
}

/** The leading characters of an id, enough to tell runs apart in a list. */
export function shortId(id: string, length = 8): string {
  return id.length <= length ? id : id.slice(0, length);
}

/** A count with thousands separators, the same on every server: `1,545`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—";
}

/** A run's token totals, input then output: `1,545 in · 85 out`. */
export function formatTokens(input: number, output: number): string {
  return `${formatCount(input)} in · ${formatCount(output)} out`;
}

/** A byte count as B, KB or MB (1024-based). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trim((bytes / 1024).toFixed(1))} KB`;
  return `${trim((bytes / (1024 * 1024)).toFixed(1))} MB`;
}

function trim(fixed: string): string {
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
