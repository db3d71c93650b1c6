import type { TraceQueries, TraceStore } from "@tracewright/store";

/** What the dashboard reads: the trace store and the queries behind its lists and charts. */
export type DashboardStore = TraceStore & TraceQueries;

/** The store as a page sees it: open, or not there yet (nothing recorded on this machine). */
export type StoreAccess =
  | { readonly state: "ready"; readonly store: DashboardStore; readonly path: string }
  | { readonly state: "absent"; readonly path: string };
