#!/usr/bin/env node
// The locked-store suite's other process: opens the SQLite store at DB, takes the write lock
// (`BEGIN EXCLUSIVE`), says `locked`, holds it until a line arrives on stdin (or HOLD_S seconds
// pass), then rolls back, says `released` and exits.
//
//   node lock-holder.mjs DB [HOLD_S]
import { createInterface } from "node:readline";
import Database from "better-sqlite3";

const [db, holdArg = "60"] = process.argv.slice(2);
const sqlite = new Database(db);
sqlite.exec("BEGIN EXCLUSIVE");
console.log("locked");
await new Promise((resolve) => {
  const timer = setTimeout(resolve, Number(holdArg) * 1000);
  createInterface({ input: process.stdin }).once("line", () => {
    clearTimeout(timer);
    resolve();
  });
});
sqlite.exec("ROLLBACK");
sqlite.close();
console.log("released");
