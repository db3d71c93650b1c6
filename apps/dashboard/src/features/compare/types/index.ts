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
  /**
   * The first row whose input hash, output or presence differs; -1 when none does. The runs'
   * roots are not it for another input (see {@link rootInputsDiffer}): two runs asked different
   * things differ there, which says nothing of where their steps parted.
   */
  readonly firstDivergence: number;
  /** The two runs' roots were given different inputs. */
  readonly rootInputsDiffer: boolean;
  readonly counts: { readonly same: number; readonly changed: number; readonly onlyA: number; readonly onlyB: number };
}
