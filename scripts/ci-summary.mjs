#!/usr/bin/env node
// Prints the closing line CI reads, `N passed, N failed`, from the test runners' JSON reports
// (vitest: reports/unit.json; Playwright: reports/e2e.json). A missing report counts as one
// failure, since a tier that did not report did not pass.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
const notes = [];

function read(path) {
  if (!existsSync(path)) {
    notes.push(`${path}: no report (the tier did not run or crashed)`);
    failed += 1;
    return undefined;
  }
  return JSON.parse(readFileSync(path, "utf8"));
}

const unit = read("reports/unit.json");
if (unit !== undefined) {
  passed += unit.numPassedTests ?? 0;
  failed += (unit.numFailedTests ?? 0) + (unit.numRuntimeErrorTestSuites ?? 0);
  skipped += (unit.numPendingTests ?? 0) + (unit.numTodoTests ?? 0);
  notes.push(`unit+integration (vitest): ${unit.numPassedTests} passed, ${unit.numFailedTests} failed`);
}
const e2e = read("reports/e2e.json");
if (e2e !== undefined) {
  const s = e2e.stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  skipped += s.skipped ?? 0;
  if ((e2e.errors ?? []).length > 0) failed += 1;
  notes.push(`e2e (playwright): ${s.expected ?? 0} passed, ${s.unexpected ?? 0} failed, ${s.flaky ?? 0} flaky`);
}
for (const note of notes) console.log(`  ${note}`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
