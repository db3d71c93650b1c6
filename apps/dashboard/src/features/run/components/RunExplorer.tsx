"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { CSSProperties, KeyboardEvent } from "react";
import { StatusIcon } from "../../../shared/components/StatusBadge";
import { formatDuration } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import { StepDetailView } from "../../step/components/StepDetailView";
import type { StepPlace } from "../../step/components/StepDetailView";
import { stepUrl } from "../../step/fns/detail";
import type { StepDetailData } from "../../step/types";
import { childCounts, expandKeys, followItems, horizontalMove, moveActive, parentsOf, pathIndexes, previousNode, subtreeEnds, visibleItems } from "../fns/nav";
import { unpackTreeItems } from "../fns/tree";
import type { PackedTreeItem, TreeItem } from "../types";

/** Indentation stops growing here; a deeper step's depth is still in its `data-depth`. */
const MAX_INDENT = 32;
const ROW_HEIGHT = 28;

/** The step whose detail is shown: its row (which a live refresh may move) and its span id (which stays). */
type DetailState = { readonly index: number; readonly spanId?: string; readonly data?: StepDetailData; readonly error?: string };

/**
 * The run's steps as a virtualized tree beside a waterfall (each row's bar placed by start and
 * duration in the run's window), and the selected step's detail, fetched on demand from
 * `/api/runs/RUN_ID/spans/SPAN_ID`. Only the rows in view are in the DOM, so a run of 20,000
 * steps scrolls and responds like a run of 20. Keyboard: ↑/↓, Page Up/Down, Home/End move,
 * ← folds a step's subtree or goes to its parent, → unfolds it or goes to its first child,
 * Enter (or Space) opens the step; the address keeps `?step=KEY`, so a view can be shared.
 */
export function RunExplorer({ runId, rows, windowMs, windowStartMs, initialIndex, initialDetail, missingKey, running = false }: { runId: string; rows: readonly PackedTreeItem[]; windowMs: number; windowStartMs: number; initialIndex: number; initialDetail: StepDetailData | null; missingKey?: string; running?: boolean }) {
  const items = useMemo(() => unpackTreeItems(rows), [rows]);
  const parents = useMemo(() => parentsOf(items), [items]);
  const children = useMemo(() => childCounts(parents), [parents]);
  const keys = useMemo(() => expandKeys(items, parents), [items, parents]);
  const ends = useMemo(() => subtreeEnds(items), [items]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(() => new Set());
  const visible = useMemo(() => visibleItems(ends, collapsed), [ends, collapsed]);
  const position = useMemo(() => {
    const at = new Int32Array(items.length).fill(-1);
    visible.forEach((item, pos) => (at[item] = pos));
    return at;
  }, [visible, items.length]);
  const [selected, setSelected] = useState(initialIndex);
  const [active, setActive] = useState(Math.max(0, initialIndex));
  const [detail, setDetail] = useState<DetailState>(() => (initialDetail === null ? { index: initialIndex } : { index: initialIndex, spanId: initialDetail.spanId, data: initialDetail }));
  const cache = useRef(new Map<string, StepDetailData>(initialDetail === null ? [] : [[initialDetail.spanId, initialDetail]]));
  const scrollRef = useRef<HTMLDivElement>(null);
  // The step a key press moved to, by span id, to focus once its row is drawn. The step itself,
  // not a flag beside `active`: an effect still pending from an earlier render (a router
  // transition, a detail that arrived) can run after the key press with that render's `active`;
  // and by span id, not row, since a live refresh can insert rows above it before it is drawn.
  const focusTarget = useRef<string | undefined>(undefined);
  const [showMissing, setShowMissing] = useState(missingKey !== undefined);

  // A live refresh hands over new rows, with the steps ended since inserted where they belong,
  // often above those shown: the selection, the focus, the open detail and the folds follow
  // their steps by span id (state adjusted during render, before anything is drawn with it).
  const [shownItems, setShownItems] = useState(items);
  if (shownItems !== items) {
    const follow = followItems(shownItems, items);
    setShownItems(items);
    setSelected(follow(selected));
    setActive(Math.max(0, follow(active)));
    setDetail((now) => ({ ...now, index: follow(now.index) }));
    setCollapsed(new Set([...collapsed].map(follow).filter((index) => index >= 0)));
  }

  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 900, height: 640 },
  });

  // Bring the selected step (say, where a long run failed) into view once, on arrival.
  useEffect(() => {
    if (initialIndex > 0) virtualizer.scrollToIndex(initialIndex, { align: "center" });
  }, []);

  const select = useCallback(
    (index: number): void => {
      const item = items[index];
      if (item === undefined) return;
      // A key press's target not drawn yet is overtaken: the step chosen now has the focus.
      focusTarget.current = undefined;
      setSelected(index);
      setActive(index);
      setShowMissing(false);
      // A step inside a folded subtree (opened from the path, say) unfolds its ancestors.
      const ancestors = pathIndexes(parents, index).slice(0, -1);
      setCollapsed((now) => (ancestors.some((a) => now.has(a)) ? new Set([...now].filter((c) => !ancestors.includes(c))) : now));
      window.history.replaceState(window.history.state, "", runHref(runId, keys[index] ?? item.k));
      const cached = cache.current.get(item.i);
      if (cached !== undefined) {
        setDetail({ index, spanId: item.i, data: cached });
        return;
      }
      setDetail({ index, spanId: item.i });
      fetch(stepUrl(runId, item.i), { headers: { accept: "application/json" } })
        .then(async (response) => {
          if (!response.ok) throw new Error(`Could not load this step: the server answered ${response.status}.`);
          const data = (await response.json()) as StepDetailData;
          cache.current.set(item.i, data);
          setDetail((now) => (now.spanId === item.i ? { ...now, data } : now));
        })
        .catch((error: unknown) => setDetail((now) => (now.spanId === item.i ? { ...now, error: error instanceof Error ? error.message : String(error) } : now)));
    },
    [items, keys, parents, runId],
  );

  // After a key press moved the active row, focus it once it is rendered.
  useEffect(() => {
    if (focusTarget.current === undefined) return;
    const row = scrollRef.current?.querySelector<HTMLElement>(`[data-span-id="${CSS.escape(focusTarget.current)}"] [role="treeitem"]`);
    if (row !== null && row !== undefined) {
      row.focus({ preventScroll: true });
      focusTarget.current = undefined;
    }
  });

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    // The row that has focus is the one the key acts on (focus may have arrived before hydration).
    const focused = (event.target as HTMLElement).closest("[data-index]")?.getAttribute("data-index");
    const current = focused === null || focused === undefined ? active : Number(focused);
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(current);
      return;
    }
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const move = horizontalMove(event.key, current, ends, parents, collapsed);
      if (move === undefined) return;
      event.preventDefault();
      if ("collapse" in move) {
        setCollapsed(new Set([...collapsed, move.collapse]));
        focusTarget.current = items[move.collapse]?.i;
      } else if ("expand" in move) {
        setCollapsed(new Set([...collapsed].filter((c) => c !== move.expand)));
        focusTarget.current = items[move.expand]?.i;
      } else {
        setActive(move.move);
        focusTarget.current = items[move.move]?.i;
        virtualizer.scrollToIndex(Math.max(0, position[move.move] ?? 0), { align: "auto" });
      }
      return;
    }
    const at = position[current] ?? -1;
    const nextPos = moveActive(event.key, at < 0 ? 0 : at, visible.length, Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 560) / ROW_HEIGHT) - 1));
    const next = nextPos === undefined ? undefined : visible[nextPos];
    if (next === undefined || nextPos === undefined) return;
    event.preventDefault();
    setActive(next);
    focusTarget.current = items[next]?.i;
    virtualizer.scrollToIndex(nextPos, { align: "auto" });
  };

  const toggle = (index: number): void => {
    setCollapsed((now) => (now.has(index) ? new Set([...now].filter((c) => c !== index)) : new Set([...now, index])));
  };

  // The first step below `index` (pre-order, within its subtree) that failed with an error of its own.
  const raisedAt = (index: number): { raisedAt?: { index: number; key: string; name: string } } => {
    for (let i = index + 1; i < (ends[index] ?? index + 1); i++) {
      const below = items[i];
      if (below?.s === "error" && below.e !== undefined) return { raisedAt: { index: i, key: keys[i] ?? "", name: below.n } };
    }
    return {};
  };

  const place = useMemo((): StepPlace | undefined => {
    const item = items[detail.index];
    if (item === undefined) return undefined;
    const prev = previousNode(items, parents, detail.index);
    const prevItem = items[prev];
    return {
      path: pathIndexes(parents, detail.index).map((index) => ({ index, key: keys[index] ?? "", name: (items[index] as TreeItem).n })),
      // From the step's own start (the detail has it, to the millisecond), not its bar's rounded
      // percentage: a 0.01 % step of a day-long run is 9 s.
      offsetMs: (detail.data?.spanId === item.i ? offsetOf(detail.data, windowStartMs) : undefined) ?? (item.o / 100) * windowMs,
      childCount: children[detail.index] ?? 0,
      raisedBelow: item.s === "error" && item.e === undefined,
      ...raisedAt(detail.index),
      ...(prevItem === undefined ? {} : { previousNode: { spanId: prevItem.i, name: prevItem.n } }),
    };
  }, [items, keys, parents, children, ends, detail.index, detail.data, windowMs, windowStartMs]);

  return (
    <div className="run-body">
      <section className="panel tree-panel" aria-labelledby="steps-heading">
        <div className="panel-head tree-cols">
          <h2 id="steps-heading">
            Steps <span className="muted small">{items.length}</span>
          </h2>
          <span className="num">Duration</span>
          <span className="timeline-scale" aria-label={`Waterfall from 0 to ${formatDuration(windowMs)}`}>
            <span>0</span>
            <span>{formatDuration(windowMs / 2)}</span>
            <span>{formatDuration(windowMs)}</span>
          </span>
        </div>
        <div ref={scrollRef} className="tree-scroll" role="tree" aria-labelledby="steps-heading" onKeyDown={onKeyDown} data-testid="step-tree" data-count={items.length}>
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((v) => {
              const index = visible[v.index] as number;
              const item = items[index] as TreeItem;
              const isSelected = index === selected;
              const hasChildren = (ends[index] ?? 0) > index + 1;
              const folded = collapsed.has(index);
              return (
                <div
                  key={v.key}
                  data-index={index}
                  data-span-id={item.i}
                  data-testid="step-row"
                  data-step-key={keys[index]}
                  data-status={item.s}
                  data-depth={item.d}
                  data-selected={isSelected ? "true" : undefined}
                  className={`tree-row${isSelected ? " selected" : ""}${item.s === "error" ? " failed" : ""}`}
                  style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                >
                  <a
                    href={runHref(runId, keys[index] ?? item.k)}
                    role="treeitem"
                    aria-level={item.d + 1}
                    aria-selected={isSelected}
                    aria-expanded={hasChildren ? !folded : undefined}
                    tabIndex={index === active ? 0 : -1}
                    className="tree-cols"
                    onClick={(e) => {
                      if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                      e.preventDefault();
                      select(index);
                    }}
                    onFocus={() => setActive(index)}
                  >
                    <span className="tree-main" style={{ "--depth": Math.min(item.d, MAX_INDENT) } as CSSProperties}>
                      {hasChildren ? (
                        <span
                          className="twisty"
                          aria-hidden="true"
                          data-testid="step-fold"
                          onClick={(e) => {
                            e.preventDefault();
                            e.stopPropagation();
                            toggle(index);
                          }}
                        >
                          {folded ? "▸" : "▾"}
                        </span>
                      ) : (
                        <span className="twisty" aria-hidden="true" />
                      )}
                      <StatusIcon status={item.s} />
                      <span className={`kind kind-${item.t}`}>{item.t}</span>
                      <span className="step-name">{item.n}</span>
                      {item.e === undefined ? null : <span className="step-error-hint">{item.e}</span>}
                    </span>
                    <span className="num duration">{formatDuration(item.ms)}</span>
                    <span className="bar" aria-hidden="true">
                      <span className="bar-fill" style={{ left: `${item.o}%`, width: `${item.w}%` }} />
                    </span>
                  </a>
                </div>
              );
            })}
          </div>
        </div>
      </section>
      {detail.data !== undefined && place !== undefined ? (
        <StepDetailView key={detail.data.spanId} runId={runId} detail={detail.data} place={place} onSelect={select} {...(showMissing && missingKey !== undefined ? { missingKey } : {})} />
      ) : (
        <section className="panel detail-panel" data-testid="step-detail" aria-busy={detail.error === undefined && detail.index >= 0}>
          {items.length === 0 ? (
            <p className="muted">{running ? "No step of this run has ended yet." : "This run has no steps."}</p>
          ) : detail.index < 0 ? (
            // The page came before any step had ended; a refresh has brought some since.
            <p className="muted">Choose a step in the tree to see its detail.</p>
          ) : detail.error !== undefined ? (
            <p className="error-message" role="alert">
              {detail.error}
            </p>
          ) : (
            <p className="muted">Loading the step…</p>
          )}
        </section>
      )}
    </div>
  );
}

/** The step's start relative to the run's window, in ms; undefined until its detail is in hand. */
function offsetOf(data: StepDetailData | null | undefined, windowStartMs: number): number | undefined {
  const start = data === null || data === undefined ? Number.NaN : Date.parse(data.startTime);
  return Number.isFinite(start) ? Math.max(0, start - windowStartMs) : undefined;
}
