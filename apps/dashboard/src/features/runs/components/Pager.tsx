import Link from "next/link";
import { runsHref } from "../fns/query";
import type { RunsFilter } from "../types";

/** Forward paging on the store's cursor: back to the newest page, or on to older runs. */
export function Pager({ filter, nextCursor }: { filter: RunsFilter; nextCursor: string | undefined }) {
  if (filter.cursor === undefined && nextCursor === undefined) return null;
  const first = { ...filter, cursor: undefined };
  return (
    <nav className="pager" aria-label="Pages">
      {filter.cursor === undefined ? <span /> : <Link href={runsHref(first)}>← Newest</Link>}
      {nextCursor === undefined ? (
        <span className="muted">No older runs</span>
      ) : (
        <Link href={runsHref({ ...filter, cursor: nextCursor })} rel="next" data-testid="older-link">
          Older →
        </Link>
      )}
    </nav>
  );
}
