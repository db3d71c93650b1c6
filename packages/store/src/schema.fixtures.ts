/** What the store's schema tests share. Not part of the build. */
import Database from "better-sqlite3";

/** Schema 6's columns undone: what every downgrade below 6 starts with. */
export const DROP_RUN_TOKENS = "ALTER TABLE runs DROP COLUMN input_tokens; ALTER TABLE runs DROP COLUMN output_tokens;";

/** Takes a store file back to schema version 1, as a Tracewright of that version left it. */
export function downgradeToSchema1(path: string): void {
  const raw = new Database(path);
  raw.exec(`${DROP_RUN_TOKENS} DROP TABLE store_meta; DROP TABLE run_text; DROP INDEX runs_duration; ALTER TABLE runs DROP COLUMN duration_us;
    DROP TABLE run_traces; DROP INDEX spans_kind_start; DROP INDEX spans_tokens;
    ALTER TABLE spans DROP COLUMN kind; ALTER TABLE spans DROP COLUMN name; ALTER TABLE spans DROP COLUMN input_tokens; ALTER TABLE spans DROP COLUMN output_tokens;
    PRAGMA user_version = 1;`);
  raw.close();
}
