import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The closing line CI reads must never say 0 failed for a run that failed.

const script = fileURLToPath(new URL("./ci-summary.mjs", import.meta.url));

const vitest = (passedTests: number, failedTests: number, files: { status: string; failed?: boolean }[] = [], success = failedTests === 0) => ({
  numPassedTests: passedTests,
  numFailedTests: failedTests,
  numPendingTests: 0,
  numTodoTests: 0,
  success,
  testResults: files.map((f, i) => ({ name: `f${i}.test.ts`, status: f.status, assertionResults: f.failed === true ? [{ status: "failed" }] : [{ status: "passed" }] })),
});
const playwright = (expected: number, unexpected: number) => ({ stats: { expected, unexpected, flaky: 0, skipped: 0 }, errors: [] });

/** Runs the summary over these reports (a value of undefined: no such file; a string: written as is); its last line. */
function summary(reports: Record<string, unknown>, status = 0): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-ci-summary-"));
  mkdirSync(join(dir, "reports"));
  for (const [name, body] of Object.entries(reports)) if (body !== undefined) writeFileSync(join(dir, "reports", name), typeof body === "string" ? body : JSON.stringify(body));
  const result = spawnSync(process.execPath, [script, String(status)], { cwd: dir, encoding: "utf8" });
  expect(result.status).toBe(0);
  return result.stdout.trim().split("\n").at(-1) ?? "";
}

const good = { "unit.json": vitest(10, 0, [{ status: "passed" }]), "reliability.json": vitest(4, 0, [{ status: "passed" }]), "e2e.json": playwright(3, 0) };

describe("scripts/ci-summary.mjs", () => {
  it("adds up the three tiers", () => {
    expect(summary(good)).toBe("17 passed, 0 failed");
    expect(summary({ ...good, "unit.json": vitest(9, 1, [{ status: "failed", failed: true }]) })).toBe("16 passed, 1 failed");
  });

  it("counts a file that failed outside its tests (an import, an afterAll hook), which vitest does not count as a failed test", () => {
    expect(summary({ ...good, "reliability.json": vitest(4, 0, [{ status: "passed" }, { status: "failed" }], false) })).toBe("17 passed, 1 failed");
  });

  it("counts a tier that was not a success with nothing failed in it, a missing report and an unreadable one", () => {
    expect(summary({ ...good, "unit.json": vitest(10, 0, [{ status: "passed" }], false) })).toBe("17 passed, 1 failed");
    expect(summary({ ...good, "e2e.json": undefined })).toBe("14 passed, 1 failed");
    expect(summary({ ...good, "unit.json": '{"numPassedTests": 10, "numFa' })).toBe("7 passed, 1 failed");
  });

  it("counts a non-zero exit with no failure in any report", () => {
    expect(summary(good, 1)).toBe("17 passed, 1 failed");
  });
});
