import { ToolInputError } from "../errors.js";
import { readDataFile } from "./data.js";

/** A bundled CSV: its header and its rows, numeric cells as numbers. */
export interface Dataset {
  name: string;
  columns: string[];
  rows: Record<string, string | number>[];
}

export interface ComputeStatsArgs {
  /** A bundled dataset, `data/<dataset>.csv`, e.g. `lambda-costs`. */
  dataset: string;
  /** The numeric column to aggregate, e.g. `cost_usd`. */
  metric: string;
  /** Aggregate per distinct value of this column. */
  groupBy?: string;
  /** Keep only rows whose columns equal these values (compared as text). */
  where?: Record<string, string>;
}

export interface StatsGroup {
  key: string;
  total: number;
  count: number;
  /** This group's share of the total, 0–1. */
  share: number;
}

export interface StatsResult {
  dataset: string;
  metric: string;
  groupBy?: string;
  where?: Record<string, string>;
  /** Rows that passed `where`. */
  rows: number;
  total: number;
  mean: number;
  min: number;
  max: number;
  /** Largest total first; ties by key. Empty without `groupBy`. */
  groups: StatsGroup[];
}

const DATASET_NAME = /^[a-z0-9][a-z0-9-]*$/;
const datasets = new Map<string, Promise<Dataset>>();

/** Loads `data/<name>.csv` once; later calls share the parsed rows. */
export function loadDataset(name: string): Promise<Dataset> {
  if (!DATASET_NAME.test(name)) return Promise.reject(new ToolInputError(`compute_stats: dataset must match ${DATASET_NAME}, got ${JSON.stringify(name)}`));
  let pending = datasets.get(name);
  if (pending === undefined) {
    pending = readDataFile(`${name}.csv`).then(
      (text) => parseCsv(name, text),
      (error: unknown) => {
        datasets.delete(name);
        throw isNotFound(error) ? new ToolInputError(`compute_stats: no dataset "${name}" (looked for data/${name}.csv)`) : error;
      },
    );
    datasets.set(name, pending);
  }
  return pending;
}

/**
 * Parses a simple CSV: a header line, comma-separated cells without quoting (the bundled files
 * have none). Cells that read as finite numbers become numbers.
 */
export function parseCsv(name: string, text: string): Dataset {
  const lines = text.replace(/\r\n/g, "\n").split("\n").filter((line) => line.trim() !== "");
  const header = lines[0];
  if (header === undefined) throw new ToolInputError(`compute_stats: dataset "${name}" is empty`);
  const columns = header.split(",").map((cell) => cell.trim());
  const rows = lines.slice(1).map((line, index) => {
    const cells = line.split(",");
    if (cells.length !== columns.length) throw new ToolInputError(`compute_stats: ${name}.csv line ${index + 2} has ${cells.length} cells, expected ${columns.length}`);
    return Object.fromEntries(columns.map((column, i) => [column, toValue((cells[i] ?? "").trim())]));
  });
  return { name, columns, rows };
}

/** Sums, mean, extremes and (optionally) per-group totals of one numeric column. */
export function computeStatsOver(dataset: Dataset, args: ComputeStatsArgs): StatsResult {
  const known = (column: string, role: string) => {
    if (!dataset.columns.includes(column)) throw new ToolInputError(`compute_stats: ${role} "${column}" is not a column of ${dataset.name}; columns: ${dataset.columns.join(", ")}`);
  };
  known(args.metric, "metric");
  if (args.groupBy !== undefined) known(args.groupBy, "groupBy");
  const where = Object.entries(args.where ?? {});
  for (const [column] of where) known(column, "where");

  const rows = dataset.rows.filter((row) => where.every(([column, value]) => String(row[column]) === String(value)));
  const values = rows.map((row) => {
    const value = row[args.metric];
    if (typeof value !== "number") throw new ToolInputError(`compute_stats: metric "${args.metric}" is not numeric (found ${JSON.stringify(value)})`);
    return value;
  });
  const total = values.reduce((sum, value) => sum + value, 0);

  const groups = new Map<string, { total: number; count: number }>();
  if (args.groupBy !== undefined) {
    rows.forEach((row, i) => {
      const key = String(row[args.groupBy as string]);
      const group = groups.get(key) ?? { total: 0, count: 0 };
      group.total += values[i] ?? 0;
      group.count += 1;
      groups.set(key, group);
    });
  }

  return {
    dataset: dataset.name,
    metric: args.metric,
    ...(args.groupBy === undefined ? {} : { groupBy: args.groupBy }),
    ...(args.where === undefined ? {} : { where: args.where }),
    rows: rows.length,
    total: round(total, 2),
    mean: values.length === 0 ? 0 : round(total / values.length, 2),
    min: values.length === 0 ? 0 : round(Math.min(...values), 2),
    max: values.length === 0 ? 0 : round(Math.max(...values), 2),
    groups: [...groups]
      .map(([key, group]) => ({ key, total: round(group.total, 2), count: group.count, share: total === 0 ? 0 : round(group.total / total, 4) }))
      .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
}

/**
 * Rounds half away from zero to `digits` decimals. The scaled value is first cut to 15
 * significant digits, which removes binary noise (1.005 × 100 is 100.49999999999999), so sums
 * of cents come out as cents.
 */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  const scaled = Number((Math.abs(value) * factor).toPrecision(15));
  return (Math.sign(value) * Math.round(scaled)) / factor + 0; // + 0 turns -0 into 0
}

function toValue(cell: string): string | number {
  if (cell === "") return cell;
  const number = Number(cell);
  return Number.isFinite(number) ? number : cell;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT";
}
