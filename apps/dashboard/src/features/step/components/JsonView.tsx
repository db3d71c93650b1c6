"use client";

import { useMemo, useState } from "react";
import type { CSSProperties } from "react";
import { ancestorsOf, layoutJson, openLinesFrom, searchLines, visibleLines } from "../fns/json";
import type { JsonLine } from "../types";

/** Above this many lines, containers below the second level start folded. */
const FOLD_ABOVE_LINES = 400;
/** Lines rendered at once; more on request. */
const RENDER_LIMIT = 3000;

/**
 * A JSON value as foldable lines, with search (keys and values, case-insensitive; hits unfold
 * their containers) and copy. Recorded data is rendered as text nodes only, never as markup.
 */
export function JsonView({ value, testId, label }: { value: unknown; testId: string; label: string }) {
  const lines = useMemo(() => layoutJson(value), [value]);
  const [folded, setFolded] = useState<ReadonlySet<number>>(() => new Set(lines.length > FOLD_ABOVE_LINES ? openLinesFrom(lines, 2) : []));
  const [query, setQuery] = useState("");
  const [hit, setHit] = useState(0);
  const [limit, setLimit] = useState(RENDER_LIMIT);
  const [copied, setCopied] = useState<"idle" | "done" | "failed">("idle");
  const matches = useMemo(() => searchLines(lines, query), [lines, query]);
  const matchSet = useMemo(() => new Set(matches), [matches]);
  const current = matches.length === 0 ? -1 : (matches[Math.min(hit, matches.length - 1)] as number);
  const shown = useMemo(() => visibleLines(lines, folded), [lines, folded]);

  const toggle = (index: number): void => {
    const next = new Set(folded);
    if (next.has(index)) next.delete(index);
    else next.add(index);
    setFolded(next);
  };
  const reveal = (index: number): void => {
    const ancestors = ancestorsOf(lines, index);
    let next: ReadonlySet<number> = folded;
    if (ancestors.some((a) => folded.has(a))) {
      const unfolded = new Set(folded);
      for (const a of ancestors) unfolded.delete(a);
      setFolded(unfolded);
      next = unfolded;
    }
    // A hit past the rendered lines raises the limit so that it is drawn.
    const position = visibleLines(lines, next).indexOf(index);
    if (position >= limit) setLimit(position + 1 + RENDER_LIMIT / 2);
    requestAnimationFrame(() => document.getElementById(`${testId}-line-${index}`)?.scrollIntoView({ block: "nearest" }));
  };
  const search = (text: string): void => {
    setQuery(text);
    setHit(0);
    const first = searchLines(lines, text)[0];
    if (first !== undefined) reveal(first);
  };
  const step = (delta: number): void => {
    if (matches.length === 0) return;
    const next = (Math.min(hit, matches.length - 1) + delta + matches.length) % matches.length;
    setHit(next);
    reveal(matches[next] as number);
  };
  const copy = (): void => {
    const text = JSON.stringify(value, null, 2) ?? "null";
    navigator.clipboard.writeText(text).then(
      () => setCopied("done"),
      () => setCopied("failed"),
    );
  };

  return (
    <div className="json-view" data-testid={testId}>
      <div className="json-tools">
        <input
          type="search"
          value={query}
          onChange={(e) => search(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              step(e.shiftKey ? -1 : 1);
            }
          }}
          placeholder="Search keys and values"
          aria-label={`Search the ${label}`}
          data-testid={`${testId}-search`}
        />
        <span className="muted small" aria-live="polite" data-testid={`${testId}-matches`}>
          {query.trim() === "" ? "" : matches.length === 0 ? "no match" : `${Math.min(hit, matches.length - 1) + 1} of ${matches.length}`}
        </span>
        <button type="button" onClick={() => setFolded(new Set(openLinesFrom(lines, 0)))} data-testid={`${testId}-fold-all`}>
          Fold
        </button>
        <button type="button" onClick={() => setFolded(new Set())} data-testid={`${testId}-unfold-all`}>
          Unfold
        </button>
        <button type="button" onClick={copy} data-testid={`${testId}-copy`}>
          {copied === "done" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}
        </button>
      </div>
      <div className="json json-lines" tabIndex={0} role="group" aria-label={label}>
        {shown.slice(0, limit).map((index) => (
          <Line key={index} index={index} line={lines[index] as JsonLine} closing={lines[(lines[index] as JsonLine).end]} folded={folded.has(index)} hit={matchSet.has(index)} current={index === current} idPrefix={testId} onToggle={toggle} />
        ))}
        {shown.length > limit ? (
          <button type="button" className="more" onClick={() => setLimit(limit + RENDER_LIMIT)}>
            Show {Math.min(RENDER_LIMIT, shown.length - limit)} more lines of {shown.length - limit}
          </button>
        ) : null}
      </div>
    </div>
  );
}

function Line({ index, line, closing, folded, hit, current, idPrefix, onToggle }: { index: number; line: JsonLine; closing: JsonLine | undefined; folded: boolean; hit: boolean; current: boolean; idPrefix: string; onToggle: (index: number) => void }) {
  const style = { "--json-depth": line.depth } as CSSProperties;
  const cls = `json-line${hit ? " hit" : ""}${current ? " current" : ""}`;
  return (
    <div className={cls} style={style} id={`${idPrefix}-line-${index}`} data-path={line.path}>
      {line.type === "open" ? (
        <button type="button" className="fold" aria-expanded={!folded} aria-label={`${folded ? "Unfold" : "Fold"} ${line.path === "" ? "the whole value" : line.path}`} onClick={() => onToggle(index)}>
          {folded ? "▸" : "▾"}
        </button>
      ) : (
        <span className="fold-space" aria-hidden="true" />
      )}
      {line.key === undefined ? null : (
        <>
          <span className="json-key">{JSON.stringify(line.key)}</span>
          <span className="json-punct">: </span>
        </>
      )}
      <span className={line.type === "leaf" ? `json-value json-${valueClass(line.text)}` : "json-punct"}>{line.text}</span>
      {line.type === "open" && folded ? (
        <>
          <span className="json-folded"> {line.size} {line.text === "[" ? (line.size === 1 ? "item" : "items") : line.size === 1 ? "key" : "keys"} </span>
          <span className="json-punct">
            {closing?.text}
            {closing?.comma ? "," : ""}
          </span>
        </>
      ) : line.comma ? (
        <span className="json-punct">,</span>
      ) : null}
    </div>
  );
}

function valueClass(text: string): string {
  if (text.startsWith('"')) return "string";
  if (text === "null") return "null";
  if (text === "true" || text === "false") return "bool";
  return "number";
}
