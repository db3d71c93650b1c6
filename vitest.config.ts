import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against each package's TypeScript sources, never its build output.
export default defineConfig({
  resolve: {
    alias: [
      { find: "@tracewright/store/cloudwatch", replacement: src("./packages/store/src/cloudwatch.ts") },
      { find: "@tracewright/collector-lambda/cdk", replacement: src("./packages/collector-lambda/src/cdk.ts") },
      { find: "@tracewright/store/testing", replacement: src("./packages/store/src/testing.ts") },
      { find: "@tracewright/instrument/errors", replacement: src("./packages/instrument/src/errors.ts") },
      { find: "@tracewright/instrument/conventions", replacement: src("./packages/instrument/src/conventions.ts") },
      { find: "@tracewright/instrument/hash", replacement: src("./packages/instrument/src/hash.ts") },
      { find: "@tracewright/instrument/shared", replacement: src("./packages/instrument/src/shared.ts") },
      { find: /^@tracewright\/(instrument|store|replay|cli)$/, replacement: src("./packages/$1/src/index.ts") },
      { find: "@tracewright/collector-lambda", replacement: src("./packages/collector-lambda/src/index.ts") },
      { find: "@tracewright/reference-agents", replacement: src("./reference-agents/src/index.ts") },
      // The dashboard's server modules mark themselves `server-only`; Next resolves that name itself.
      { find: /^server-only$/, replacement: src("./node_modules/next/dist/compiled/server-only/empty.js") },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "reference-agents/src/**/*.test.ts", "apps/dashboard/src/**/*.test.ts", "scripts/**/*.test.ts"],
    // The reliability tier (minutes of load and faults) runs on its own: vitest.reliability.config.ts.
    exclude: [...configDefaults.exclude, "packages/*/src/reliability/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "json"],
    outputFile: { json: "reports/unit.json" },
  },
});
