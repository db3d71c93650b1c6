/** The store's named errors, under the shared `TracewrightError` (STYLE.md §7). */
import { TracewrightError } from "@tracewright/instrument/errors";

export { TracewrightError };

/** The store could not be opened, read or written. */
export class StoreError extends TracewrightError {}
