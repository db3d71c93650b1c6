import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

/** The monorepo root, two levels above this app: workspace packages resolve from there. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const nextConfig: NextConfig = {
  // The embedded store's native driver is loaded by Node at run time, never bundled.
  serverExternalPackages: ["better-sqlite3"],
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
