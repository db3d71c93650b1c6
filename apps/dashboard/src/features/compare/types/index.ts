/** One side of an aligned step: what the comparison shows of it. */
export interface CompareSide {
  readonly index: number;
  readonly kind: string;
  readonly name: string;
  readonly depth: number;
  readonly status: "ok" | "error";
  readonly durationMs: number;
  /** `tracewright.input.hash`, else undefined. */
  readonly inputHash?: string;
  readonly error?: string;
}

/** How two aligned steps differ. */
export interface StepDifferences {
  /** Present in one run only. */
  readonly presence: boolean;
  readonly status: boolean;
  /** Input hashes differ (or, without hashes, the inputs do). */
  readonly input: boolean;
  readonly output: boolean;
  /** Durations differ by more than the tolerance. */
  readonly duration: boolean;
}

/** One row of the comparison: a step key and the step under it in run A and in run B. */
export interface AlignedStep {
  readonly key: string;
  readonly a?: CompareSide;
  readonly b?: CompareSide;
  readonly diff: StepDifferences;
}

export interface Comparison {
  readonly rows: readonly AlignedStep[];
  /** The first row whose input hash, output or presence differs; -1 when none does. */
  readonly firstDivergence: number;
  readonly counts: { readonly same: number; readonly changed: number; readonly onlyA: number; readonly onlyB: number };
}
