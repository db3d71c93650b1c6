import { ENTROPY_STEP_KINDS, Tracewright } from "@tracewright/instrument/conventions";
import { canonicalJson } from "@tracewright/instrument/shared";
import type { Step } from "@tracewright/store";
import type { AlignedStep, CompareSide, Comparison, StepDifferences } from "../types";

/** Durations within this ratio of each other (or 1 ms) count as the same. */
const DURATION_TOLERANCE = 0.25;

/**
 * Aligns two runs' steps by step key, in canonical order: run A's order, with steps only in B
 * placed where B has them. Steps recorded out of order are paired all the same (by key).
 * Iterative, linear in the number of steps.
 */
export function alignRuns(a: readonly Step[], b: readonly Step[]): Comparison {
  const bIndex = new Map<string, number>();
  b.forEach((step, i) => {
    if (!bIndex.has(step.key)) bIndex.set(step.key, i);
  });
  const aKeys = new Set(a.map((s) => s.key));
  const usedB = new Set<number>();
  const rows: AlignedStep[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j < b.length && usedB.has(j)) {
      j++;
      continue;
    }
    const sa = a[i];
    const sb = b[j];
    if (sa !== undefined && sb !== undefined && sa.key === sb.key) {
      rows.push(row(sa, i, sb, j));
      usedB.add(j);
      i++;
      j++;
    } else if (sb !== undefined && !aKeys.has(sb.key)) {
      rows.push(row(undefined, -1, sb, j));
      usedB.add(j);
      j++;
    } else if (sa !== undefined) {
      const match = bIndex.get(sa.key);
      if (match !== undefined && !usedB.has(match)) {
        rows.push(row(sa, i, b[match] as Step, match));
        usedB.add(match);
      } else {
        rows.push(row(sa, i, undefined, -1));
      }
      i++;
    } else {
      // Only B is left and its key was in A: already paired (or a duplicate key) — show it alone.
      rows.push(row(undefined, -1, sb as Step, j));
      usedB.add(j);
      j++;
    }
  }
  const hasChildren = (steps: readonly Step[], index: number | undefined): boolean => index !== undefined && index >= 0 && (steps[index + 1]?.depth ?? -1) > (steps[index]?.depth ?? 0);
  let firstDivergence = -1;
  let rootInputsDiffer = false;
  const counts = { same: 0, changed: 0, onlyA: 0, onlyB: 0 };
  rows.forEach((r, index) => {
    const root = r.a !== undefined && r.b !== undefined && r.a.depth === 0 && r.b.depth === 0;
    if (root && r.diff.input) rootInputsDiffer = true;
    if (r.a === undefined) counts.onlyB++;
    else if (r.b === undefined) counts.onlyA++;
    else if (r.diff.status || r.diff.input || r.diff.output || r.diff.duration) counts.changed++;
    else counts.same++;
    const container = hasChildren(a, r.a?.index) || hasChildren(b, r.b?.index);
    const entropy = r.a !== undefined && r.b !== undefined && ENTROPY_STEP_KINDS.has(r.a.kind) && ENTROPY_STEP_KINDS.has(r.b.kind);
    if (firstDivergence === -1 && diverges(root ? { ...r.diff, input: false } : r.diff, container, entropy)) firstDivergence = index;
  });
  return { rows, firstDivergence, rootInputsDiffer, counts };
}

/**
 * What makes a step the divergence: present in one run only, another input hash, or another
 * output. A step with children (a node, the run's root) returns what its children produced, so
 * its output differing is a consequence, not a cause: for such steps only presence and input
 * count, and the divergence is found where it started, below. Likewise a clock, random or uuid
 * read (`entropy`) gives another result in every live run: its output differing is shown as a
 * change but is not where two runs diverged.
 */
export function diverges(diff: StepDifferences, hasChildren = false, entropy = false): boolean {
  return diff.presence || diff.input || (diff.output && !hasChildren && !entropy);
}

function row(a: Step | undefined, ai: number, b: Step | undefined, bi: number): AlignedStep {
  const key = (a ?? b)?.key ?? "";
  const diff: StepDifferences =
    a === undefined || b === undefined
      ? { presence: true, status: false, input: false, output: false, duration: false }
      : {
          presence: false,
          status: a.status !== b.status,
          // Equal hashes are the same input; different ones may be the same input built in another key order.
          input: inputHash(a) !== undefined && inputHash(a) === inputHash(b) ? false : !sameValue(a.input, b.input),
          output: !sameValue(a.output, b.output) || (a.error?.message ?? "") !== (b.error?.message ?? ""),
          duration: Math.abs(a.durationMs - b.durationMs) > Math.max(1, DURATION_TOLERANCE * Math.max(a.durationMs, b.durationMs)),
        };
  return { key, ...(a === undefined ? {} : { a: side(a, ai) }), ...(b === undefined ? {} : { b: side(b, bi) }), diff };
}

function side(step: Step, index: number): CompareSide {
  const hash = inputHash(step);
  return {
    index,
    kind: step.kind,
    name: step.name,
    depth: step.depth,
    status: step.status,
    durationMs: step.durationMs,
    ...(hash === undefined ? {} : { inputHash: hash }),
    ...(step.error === undefined ? {} : { error: `${step.error.type}: ${step.error.message}` }),
  };
}

function inputHash(step: Step): string | undefined {
  const hash = step.attributes[Tracewright.INPUT_HASH];
  return typeof hash === "string" && hash !== "" ? hash : undefined;
}

/** Whether two states are equal whatever their key order (a state too deep to write is equal to none). */
function sameValue(a: unknown, b: unknown): boolean {
  const left = canonicalJson(a);
  return left !== undefined && left === canonicalJson(b);
}

/** The compare page for two runs. */
export function compareHref(a: string, b: string): string {
  return `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
}
