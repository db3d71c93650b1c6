/**
 * A local LangSmith API: `POST /runs/batch` (`{ post: [...], patch: [...] }`), `GET /info`.
 * Runs are validated as the API does (a UUID `id`, a `name`, a known `run_type`, an `inputs`
 * object, a `parent_run_id` that is a UUID, and the `trace_id` and `dotted_order` batch ingestion
 * requires, consistent with the run's id and parent: see {@link dottedOrderProblem}) — a bad batch
 * is 422 (the service answers 400 for the dotted order) — and kept one per id (a repeated create
 * upserts). Throttling is 429, server errors 500.
 */
import { startFakeServer } from "./aws.fixtures.js";
import type { FakeServer } from "./aws.fixtures.js";

export interface FakeLangSmith extends FakeServer {
  runs(): Record<string, unknown>[];
  readonly apiKeys: string[];
  /** Refuses (422, the whole batch, as the API does) every batch holding a run for which `problem` names one. */
  refuseRuns(problem: (run: Record<string, unknown>) => string | undefined): void;
}

const RUN_TYPES = new Set(["tool", "chain", "llm", "retriever", "embedding", "prompt", "parser"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DOTTED_PART = /^\d{8}T\d{12}Z([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * What LangSmith's batch ingestion says of a run's `trace_id` and `dotted_order`: both present;
 * each part a start time (`YYYYMMDDTHHMMSSffffffZ`) and a run id; the first part the trace's, the
 * last the run's own; a top run (no parent) a single part, a child's next-to-last part its parent.
 */
function dottedOrderProblem(run: Record<string, unknown>): string | undefined {
  if (typeof run.trace_id !== "string" || !UUID.test(run.trace_id)) return "trace_id is required and must be a UUID";
  if (typeof run.dotted_order !== "string" || run.dotted_order === "") return "dotted_order is required";
  const ids = run.dotted_order.split(".").map((part) => DOTTED_PART.exec(part)?.[1]);
  if (ids.some((id) => id === undefined)) return `invalid 'dotted_order': ${run.dotted_order}`;
  if (ids[0] !== run.trace_id) return `invalid 'dotted_order': trace_id ${run.trace_id} does not match first part of dotted_order`;
  if (ids.at(-1) !== run.id) return `invalid 'dotted_order': run id ${String(run.id)} does not match last part of dotted_order`;
  if (run.parent_run_id === undefined) return ids.length === 1 ? undefined : `dotted_order must contain a single part for root runs for run_id:${String(run.id)}`;
  return ids.length >= 2 && ids.at(-2) === run.parent_run_id ? undefined : `invalid 'dotted_order': parent_run_id ${String(run.parent_run_id)} does not match the next-to-last part of dotted_order`;
}

export async function startFakeLangSmith(): Promise<FakeLangSmith> {
  const runs = new Map<string, Record<string, unknown>>();
  const apiKeys: string[] = [];
  let refusal: (run: Record<string, unknown>) => string | undefined = () => undefined;
  const server = await startFakeServer(
    (req) => {
      const path = req.path.split("?")[0];
      if (req.method === "GET" && path === "/info") return { status: 200, body: { version: "fake", batch_ingest_config: { size_limit: 100, size_limit_bytes: 20_971_520 } } };
      if (req.method !== "POST" || path !== "/runs/batch") return { status: 404, body: { detail: `no route ${req.method} ${path}` } };
      apiKeys.push(String(req.headers["x-api-key"] ?? ""));
      const body = JSON.parse(req.body.toString("utf8")) as { post?: Record<string, unknown>[]; patch?: Record<string, unknown>[] };
      for (const run of body.post ?? []) {
        const problem =
          typeof run.id !== "string" || !UUID.test(run.id)
            ? "id must be a UUID"
            : typeof run.name !== "string" || run.name === ""
              ? "name is required"
              : !RUN_TYPES.has(String(run.run_type))
                ? `run_type ${String(run.run_type)} is not one of ${[...RUN_TYPES].join(", ")}`
                : typeof run.inputs !== "object" || run.inputs === null
                  ? "inputs must be an object"
                  : run.parent_run_id !== undefined && !UUID.test(String(run.parent_run_id))
                    ? "parent_run_id must be a UUID"
                    : (dottedOrderProblem(run) ?? refusal(run));
        if (problem !== undefined) return { status: 422, body: { detail: problem } };
      }
      for (const run of body.post ?? []) runs.set(run.id as string, run);
      for (const patch of body.patch ?? []) runs.set(String(patch.id), { ...runs.get(String(patch.id)), ...patch });
      return { status: 202, body: {} };
    },
    { throttle: { status: 429, body: { detail: "Too many requests" } }, "server-error": { status: 500, body: { detail: "injected" } } },
  );
  return Object.assign(server, {
    runs: () => [...runs.values()],
    apiKeys,
    refuseRuns: (problem: (run: Record<string, unknown>) => string | undefined) => {
      refusal = problem;
    },
  });
}
