#!/usr/bin/env node
// The `tracewright` command. A committed shim, so npm can link it before the first build.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("tracewright: the packages are not built yet. Run `npm run build` at the repository root first.");
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
