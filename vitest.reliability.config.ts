import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The reliability tier (`npm run test:reliability`): load and fault suites that run real
// collector, agent and lock-holder processes for minutes, too long for `npm test`. The unit
// config's aliases, one file at a time, and its own JSON report, which scripts/ci-summary.mjs counts.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["packages/*/src/reliability/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 300_000,
    fileParallelism: false,
    outputFile: { json: "reports/reliability.json" },
  },
});
