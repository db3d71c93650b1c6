#!/usr/bin/env node
// Prints the closing line CI reads, `N passed, N failed`, from the test runners' JSON reports
// (vitest: reports/unit.json and reports/reliability.json; Playwright: reports/e2e.json). A
// missing or unreadable report counts as one failure, since a tier that did not report did not
// pass; so does a test file that failed outside its tests (an import, a beforeAll or afterAll
// hook: vitest counts its tests as skipped, or not at all), and a run that exited non-zero
// (`node scripts/ci-summary.mjs STATUS`) with no failure in any report.
import { existsSync, readFileSync } from "node:fs";

const exitStatus = Number(process.argv[2] ?? 0);

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
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    notes.push(`${path}: unreadable (${error.message})`);
    failed += 1;
    return undefined;
  }
}

/** A vitest JSON report, counted under `label`. */
function countVitest(path, label) {
  const report = read(path);
  if (report === undefined) return;
  passed += report.numPassedTests ?? 0;
  // A file that failed with no failed test of its own: its import, or a hook, threw.
  const brokenFiles = (report.testResults ?? []).filter((file) => file.status === "failed" && !(file.assertionResults ?? []).some((a) => a.status === "failed"));
  let tierFailed = (report.numFailedTests ?? 0) + brokenFiles.length;
  // Failed with nothing to show for it (an unhandled error outside any test).
  if (report.success === false && tierFailed === 0) tierFailed = 1;
  failed += tierFailed;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  notes.push(`${label} (vitest): ${report.numPassedTests} passed, ${report.numFailedTests} failed${brokenFiles.length > 0 ? `, ${brokenFiles.length} file(s) failed outside their tests: ${brokenFiles.map((f) => f.name).join(", ")}` : ""}${report.success === false ? " (not a success)" : ""}`);
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
const load = existsSync("reports/reliability-load.json") ? read("reports/reliability-load.json") : undefined;
if (load !== undefined) {
  notes.push(
    `load: ${load.offered.spans} spans at ${load.offered.spansPerSecond}/s offered, ${load.achievedSpansPerSecond}/s achieved; ingest p99 ${load.ingestLatencyMs.p99.toFixed(1)} ms; collector peak RSS ${load.collectorRssMiB.peak} MiB; ${load.missing} missing, ${load.duplicated} duplicated`,
  );
}
if (exitStatus !== 0 && failed === 0) {
  notes.push(`a tier exited with status ${exitStatus} with no failure in its report: counted as one`);
  failed = 1;
}
for (const note of notes) console.log(`  ${note}`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
