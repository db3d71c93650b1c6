import { readFile, readdir } from "node:fs/promises";

/**
 * The bundled data folder, `reference-agents/data/`. It sits at the package root so that this
 * module reaches it through the same relative path from `src/tools/` (tests) and from
 * `dist/tools/` (the build).
 */
export const DATA_DIR = new URL("../../data/", import.meta.url);

/** Reads a file under the data folder as UTF-8. */
export function readDataFile(relative: string): Promise<string> {
  return readFile(new URL(relative, DATA_DIR), "utf8");
}

/** File names under a data subfolder, sorted, so every caller sees them in the same order. */
export async function listDataFiles(folder: string, extension: string): Promise<string[]> {
  const names = await readdir(new URL(folder, DATA_DIR));
  return names.filter((name) => name.endsWith(extension)).sort();
}

/**
 * Memoises an async loader of read-only bundled data. A failed load is not remembered, so a
 * transient read error does not poison later calls.
 */
export function memoize<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
