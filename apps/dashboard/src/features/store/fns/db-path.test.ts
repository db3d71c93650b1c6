import { describe, expect, it } from "vitest";
import { findRepoRoot, resolveDbPath } from "./db-path";

const files: Record<string, string> = {
  "/repo/package.json": JSON.stringify({ name: "tracewright", workspaces: ["apps/dashboard"] }),
  "/repo/apps/dashboard/package.json": JSON.stringify({ name: "@tracewright/dashboard" }),
  "/broken/package.json": "{ not json",
};
const readText = (path: string): string | undefined => files[path];

describe("findRepoRoot", () => {
  it("walks up from the app to the folder that declares workspaces", () => {
    expect(findRepoRoot("/repo/apps/dashboard", readText)).toBe("/repo");
    expect(findRepoRoot("/repo", readText)).toBe("/repo");
  });

  it("is undefined outside a repo, and ignores unreadable manifests", () => {
    expect(findRepoRoot("/elsewhere/app", readText)).toBeUndefined();
    expect(findRepoRoot("/broken", readText)).toBeUndefined();
  });
});

describe("resolveDbPath", () => {
  it("defaults to .tracewright/traces.db at the repo root, whatever the working directory", () => {
    expect(resolveDbPath({ envPath: undefined, cwd: "/repo/apps/dashboard", readText })).toBe("/repo/.tracewright/traces.db");
    expect(resolveDbPath({ envPath: "", cwd: "/repo", readText })).toBe("/repo/.tracewright/traces.db");
  });

  it("takes TRACEWRIGHT_DB: absolute as given, relative from the repo root", () => {
    expect(resolveDbPath({ envPath: "/tmp/x.db", cwd: "/repo/apps/dashboard", readText })).toBe("/tmp/x.db");
    expect(resolveDbPath({ envPath: "data/t.db", cwd: "/repo/apps/dashboard", readText })).toBe("/repo/data/t.db");
  });

  it("falls back to the working directory outside a repo", () => {
    expect(resolveDbPath({ envPath: undefined, cwd: "/srv/dashboard", readText })).toBe("/srv/dashboard/.tracewright/traces.db");
  });
});
