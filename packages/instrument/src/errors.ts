/**
 * The root of Tracewright's named errors (STYLE.md §7): a stable `code` to match on, a message
 * that says what was expected, what was found and what to do, and the `cause`. Every package
 * subclasses it. This module has no dependencies, so the Lambda handlers and the dashboard can
 * import it (`@tracewright/instrument/errors`) without loading the SDK or SQLite.
 */
export class TracewrightError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
