import type { TraceQueries, TraceStore } from "@tracewright/store";

/** What the dashboard reads: the trace store and the queries behind its lists and charts. */
export type DashboardStore = TraceStore & TraceQueries;

/** Where runs are read from (see `resolveSource`). */
export type SourceConfig =
  | { readonly kind: "store"; readonly path: string }
  | { readonly kind: "cloudwatch"; readonly logGroup: string; readonly region?: string; readonly endpoint?: string };

/** The store as a page sees it: open, or not there yet (no local database on this machine). */
export type StoreAccess =
  | { readonly state: "ready"; readonly store: DashboardStore; readonly source: SourceConfig }
  | { readonly state: "absent"; readonly path: string; readonly source: SourceConfig };
