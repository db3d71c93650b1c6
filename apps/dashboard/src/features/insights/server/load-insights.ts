import "server-only";
import { getStore } from "../../store/server/store";
import { TIME_RANGES } from "../../runs/fns/query";
import type { TimeRange } from "../../runs/types";
import { toInsights } from "../fns/chart-data";
import type { SourceConfig } from "../../store/types";
import type { InsightsData } from "../types";

/** The insights of the runs started in `range` (all time when absent), aggregated by the store. */
export async function loadInsights(range: TimeRange | undefined): Promise<{ state: "absent"; path: string } | { state: "ready"; data: InsightsData; source: SourceConfig }> {
  const access = await getStore();
  if (access.state === "absent") return { state: "absent", path: access.path };
  const ms = TIME_RANGES.find((r) => r.value === range)?.ms;
  const stats = await access.store.runStats(ms === undefined ? {} : { startedAfter: new Date(Date.now() - ms).toISOString() });
  return { state: "ready", data: toInsights(stats), source: access.source };
}
