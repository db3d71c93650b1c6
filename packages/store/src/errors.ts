/**
 * Named errors with stable codes (STYLE.md §7). Messages say what was expected, what was
 * found, and what to do.
 */
export class TracewrightError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The store could not be opened, read or written. */
export class StoreError extends TracewrightError {}
