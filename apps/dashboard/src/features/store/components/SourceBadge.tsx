import { describeSource } from "../fns/source";
import type { SourceConfig } from "../types";

/**
 * Which source this dashboard reads, in the top bar of every page; or, when the settings cannot
 * be used, what is wrong with them (so the page below, which cannot read anything, is explained).
 */
export function SourceBadge({ source }: { source: SourceConfig | { error: string } }) {
  if ("error" in source) {
    return (
      <p className="source-badge source-error" data-testid="source" data-source="invalid" role="alert">
        <span aria-hidden="true">⚠</span> Source not usable: {source.error}
      </p>
    );
  }
  const { title, detail } = describeSource(source);
  return (
    <p className="source-badge" data-testid="source" data-source={source.kind} title={detail}>
      <span className="muted">Source:</span> <strong>{title}</strong> <span className="muted mono source-detail">{detail}</span>
    </p>
  );
}
