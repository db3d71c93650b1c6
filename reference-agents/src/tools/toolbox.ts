import type { CorpusDocument, FetchDocumentArgs, WebSearchArgs, WebSearchResult } from "./corpus.js";
import { findDocument, loadCorpus, searchCorpus } from "./corpus.js";
import type { ComputeStatsArgs, StatsResult } from "./stats.js";
import { computeStatsOver, loadDataset } from "./stats.js";

/** Per-call options every tool accepts. */
export interface ToolCallOptions {
  /** Aborts the call; the tool rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The tools the reference agents call, by the names they are recorded under. Each is a pure,
 * deterministic function of its arguments over the bundled data; faults (see `faults.ts`) wrap
 * a toolbox rather than touching the tools.
 */
export interface Toolbox {
  /** `web_search`: ranks the bundled corpus against a query. */
  webSearch(args: WebSearchArgs, options?: ToolCallOptions): Promise<WebSearchResult>;
  /** `fetch_document`: one corpus document by its `doc://` id. */
  fetchDocument(args: FetchDocumentArgs, options?: ToolCallOptions): Promise<CorpusDocument>;
  /** `compute_stats`: aggregates a numeric column of a bundled CSV. */
  computeStats(args: ComputeStatsArgs, options?: ToolCallOptions): Promise<StatsResult>;
}

/** The names tool steps are recorded under. */
export const ToolName = {
  WEB_SEARCH: "web_search",
  FETCH_DOCUMENT: "fetch_document",
  COMPUTE_STATS: "compute_stats",
} as const;

/** The toolbox over the bundled data. */
export function createToolbox(): Toolbox {
  return {
    async webSearch(args, options) {
      options?.signal?.throwIfAborted();
      return searchCorpus(await loadCorpus(), args);
    },
    async fetchDocument(args, options) {
      options?.signal?.throwIfAborted();
      return findDocument(await loadCorpus(), args);
    },
    async computeStats(args, options) {
      options?.signal?.throwIfAborted();
      return computeStatsOver(await loadDataset(args.dataset), args);
    },
  };
}
