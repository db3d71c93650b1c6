import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

/** Every module of this package reachable from `entry` by relative imports, with its bare imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [join(here, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    const text = readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1] as string);
    seen.set(file, specifiers.filter((s) => !s.startsWith(".")));
    for (const s of specifiers) if (s.startsWith(".")) queue.push(join(dirname(file), s.replace(/\.js$/, ".ts")));
  }
  return seen;
}

describe("the package's main entry (what the Lambda bundle holds)", () => {
  it("never loads aws-cdk-lib or constructs at runtime; the CDK construct is its own module", () => {
    const modules = reachable("index.ts");
    expect(modules.size).toBeGreaterThan(10);
    expect([...modules.keys()].some((f) => f.endsWith("cdk.ts"))).toBe(false);
    const bare = [...modules.values()].flat();
    expect(bare.filter((s) => s.startsWith("aws-cdk-lib") || s === "constructs")).toEqual([]);
    expect(bare).toContain("@aws-sdk/client-xray");
    expect([...reachable("cdk.ts").values()].flat()).toContain("aws-cdk-lib/aws-lambda");
  });
});
