#!/usr/bin/env node
// The `tracewright` command. A committed shim, so npm can link it before the first build.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("tracewright: the packages are not built yet. Run `npm run build` at the repository root first.");
  process.exit(2);
}
// `tracewright runs show RUN_ID | head`: a reader that stops early closes the pipe, and the next
// write fails with EPIPE. That ends the output, quietly — not the process with a stack trace.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
