/** What the store's schema tests share. Not part of the build. */
import Database from "better-sqlite3";

/**
 * Schemas 10, 9, 8, 7 and 6 undone, what every downgrade below 6 starts with: the index of spans
 * by run put back (a run-start span's trace stays in run_traces, which schema 9 reads past), the replays' index dropped, the runs' root rank dropped, each span's resource put back in its body (as a
 * Tracewright before schema 7 stored it), `resources` dropped, then the runs' token columns.
 */
export const DOWN_TO_SCHEMA_9 = `CREATE INDEX spans_run ON spans (run_id, start_us);`;
export const DOWN_TO_SCHEMA_8 = `${DOWN_TO_SCHEMA_9} DROP INDEX runs_replays;`;
export const DOWN_TO_SCHEMA_7 = `${DOWN_TO_SCHEMA_8} ALTER TABLE runs DROP COLUMN root_rank;`;
export const DOWN_TO_SCHEMA_5 = `${DOWN_TO_SCHEMA_7} UPDATE spans SET body = json_set(body, '$.resource', json((SELECT body FROM resources WHERE resources.id = spans.resource_id))) WHERE resource_id IS NOT NULL;
  ALTER TABLE spans DROP COLUMN resource_id; DROP TABLE resources;
  ALTER TABLE runs DROP COLUMN input_tokens; ALTER TABLE runs DROP COLUMN output_tokens;`;

/** Takes a store file back to schema version 1, as a Tracewright of that version left it. */
export function downgradeToSchema1(path: string): void {
  const raw = new Database(path);
  raw.exec(`${DOWN_TO_SCHEMA_5} DROP TABLE store_meta; DROP TABLE run_text; DROP INDEX runs_duration; ALTER TABLE runs DROP COLUMN duration_us;
    DROP TABLE run_traces; DROP INDEX spans_kind_start; DROP INDEX spans_tokens;
    ALTER TABLE spans DROP COLUMN kind; ALTER TABLE spans DROP COLUMN name; ALTER TABLE spans DROP COLUMN input_tokens; ALTER TABLE spans DROP COLUMN output_tokens;
    PRAGMA user_version = 1;`);
  raw.close();
}
