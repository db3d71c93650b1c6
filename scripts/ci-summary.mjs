#!/usr/bin/env node
// Prints the closing line CI reads, `N passed, N failed`, from the test runners' JSON reports
// (vitest: reports/unit.json and reports/reliability.json; Playwright: reports/e2e.json). A
// missing report counts as one failure, since a tier that did not report did not pass.
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

/** A vitest JSON report, counted under `label`. */
function countVitest(path, label) {
  const report = read(path);
  if (report === undefined) return;
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  notes.push(`${label} (vitest): ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}

countVitest("reports/unit.json", "unit+integration");
countVitest("reports/reliability.json", "reliability (load, faults)");
const e2e = read("reports/e2e.json");
if (e2e !== undefined) {
  const s = e2e.stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  skipped += s.skipped ?? 0;
  if ((e2e.errors ?? []).length > 0) failed += 1;
  notes.push(`e2e (playwright): ${s.expected ?? 0} passed, ${s.unexpected ?? 0} failed, ${s.flaky ?? 0} flaky`);
}
// The load suite's figures, for the log (they are reported, never asserted on).
if (existsSync("reports/reliability-load.json")) {
  const load = JSON.parse(readFileSync("reports/reliability-load.json", "utf8"));
  notes.push(
    `load: ${load.offered.spans} spans at ${load.offered.spansPerSecond}/s offered, ${load.achievedSpansPerSecond}/s achieved; ingest p99 ${load.ingestLatencyMs.p99.toFixed(1)} ms; collector peak RSS ${load.collectorRssMiB.peak} MiB; ${load.missing} missing, ${load.duplicated} duplicated`,
  );
}
for (const note of notes) console.log(`  ${note}`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
