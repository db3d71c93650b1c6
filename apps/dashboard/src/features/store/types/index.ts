import type { TraceStore } from "@tracewright/store";

/** The store as a page sees it: open, or not there yet (nothing recorded on this machine). */
export type StoreAccess =
  | { readonly state: "ready"; readonly store: TraceStore; readonly path: string }
  | { readonly state: "absent"; readonly path: string };
