import { dirname, isAbsolute, join, resolve } from "node:path";

/** Reads a file's text, or undefined when it cannot be read. Injected so this module stays pure. */
export type ReadText = (path: string) => string | undefined;

/**
 * The monorepo root: the nearest folder, from `start` upwards, whose `package.json` declares
 * `workspaces`. Iterative; undefined when there is none (a deployment outside the repo).
 */
export function findRepoRoot(start: string, readText: ReadText): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const text = readText(join(dir, "package.json"));
    if (text !== undefined && declaresWorkspaces(text)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function declaresWorkspaces(packageJson: string): boolean {
  try {
    const parsed = JSON.parse(packageJson) as unknown;
    return typeof parsed === "object" && parsed !== null && "workspaces" in parsed;
  } catch {
    return false;
  }
}

export interface DbPathInput {
  /** `process.env.TRACEWRIGHT_DB`. */
  envPath: string | undefined;
  /** The server's working directory (`apps/dashboard` under `next start`). */
  cwd: string;
  readText: ReadText;
}

/**
 * Where the dashboard finds the embedded store, resolved the way the CLI and `npm start` see it:
 * `TRACEWRIGHT_DB` if set, else `.tracewright/traces.db`; a relative path is taken from the repo
 * root (commands are run from there), or from the working directory outside a repo.
 */
export function resolveDbPath({ envPath, cwd, readText }: DbPathInput): string {
  const base = findRepoRoot(cwd, readText) ?? resolve(cwd);
  const given = envPath?.trim();
  if (given === undefined || given === "") return join(base, ".tracewright", "traces.db");
  if (given === ":memory:" || isAbsolute(given)) return given;
  return resolve(base, given);
}
