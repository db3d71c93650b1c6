"use client";

import Link from "next/link";
import type { CSSProperties } from "react";
import { StatusIcon } from "../../../shared/components/StatusBadge";
import { formatDuration } from "../../../shared/fns/format";
import { runHref } from "../../../shared/fns/routes";
import type { TreeItem } from "../types";

/** Indentation stops growing here; a deeper step's depth is still in its `data-depth`. */
const MAX_INDENT = 32;

/**
 * The rows of the step tree. A client component so that the page ships the rows once, as compact
 * data, instead of as a rendered element tree; it is server-rendered all the same, so selection
 * (`?step=KEY` links) works without JavaScript, and with it the links navigate in place.
 * Every recorded value is rendered as text.
 */
export function StepTreeList({ runId, items, selected }: { runId: string; items: readonly TreeItem[]; selected: number }) {
  return (
    <ol className="tree" data-testid="step-tree">
      {items.map((item, index) => {
        const isSelected = index === selected;
        const failed = item.s === "error";
        return (
          <li
            key={index}
            data-testid="step-row"
            data-step-key={item.k}
            data-status={item.s}
            data-depth={item.d}
            data-selected={isSelected ? "true" : undefined}
            className={`tree-row${isSelected ? " selected" : ""}${failed ? " failed" : ""}`}
          >
            <Link href={runHref(runId, item.k)} scroll={false} aria-current={isSelected ? "true" : undefined} className="tree-cols">
              <span className="tree-main" style={{ "--depth": Math.min(item.d, MAX_INDENT) } as CSSProperties}>
                <StatusIcon status={item.s} />
                <span className={`kind kind-${item.t}`}>{item.t}</span>
                <span className="step-name">{item.n}</span>
                {item.e === undefined ? null : <span className="step-error-hint">{item.e}</span>}
              </span>
              <span className="num duration">{formatDuration(item.ms)}</span>
              <span className="bar" aria-hidden="true">
                <span className="bar-fill" style={{ left: `${item.o}%`, width: `${item.w}%` }} />
              </span>
            </Link>
          </li>
        );
      })}
    </ol>
  );
}
