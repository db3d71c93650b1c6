import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { memorySink, startCollector } from "@tracewright/collector-lambda";
import type { CollectorHandle, MemorySink } from "@tracewright/collector-lambda";
import { init, node, runWithResult, tool } from "@tracewright/instrument";
import type { RunOptions } from "@tracewright/instrument";
import { OpenInference, PayloadMarker, Tracewright } from "@tracewright/instrument/conventions";
import { openSqliteStore } from "@tracewright/store";
import type { SqliteStore } from "@tracewright/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import type { ReplayableAgent } from "./types.js";

// A 2 MB state, recorded through the real collector over HTTP: the span carries a valid-JSON
// preview and the ref; `runs show --json` and replay see the whole state.

const bin = fileURLToPath(new URL("../../cli/bin/tracewright.js", import.meta.url));
const run = promisify(execFile);

/** About 2 MB of documents, with non-ASCII text so bytes and characters differ. */
const corpus = { docs: Array.from({ length: 16_000 }, (_, i) => ({ id: `doc-${i}`, text: `ü résumé ${i} `.repeat(8) })) };

const bulky: ReplayableAgent = {
  name: "bulky",
  run: (input: unknown, options: RunOptions) =>
    runWithResult(
      "bulky",
      input,
      async () => {
        const docs = await tool("fetch_corpus", { q: "all" }, () => structuredClone(corpus));
        return node("summarize", docs, (d) => ({ count: d.docs.length, last: d.docs[d.docs.length - 1]?.id }));
      },
      options,
    ),
};

let dir: string;
let store: SqliteStore;
let raw: MemorySink;
let collector: CollectorHandle;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tw-offload-"));
  store = openSqliteStore({ path: join(dir, "traces.db") });
  raw = memorySink("raw");
  collector = await startCollector({ store, sinks: [raw], port: 0 });
});
afterEach(async () => {
  await collector.close();
  await store.close();
});

describe("a 2 MB state through the collector", () => {
  it("rides by reference: a preview in the span, the whole state in runs show and replay", async () => {
    const json = JSON.stringify(corpus);
    expect(Buffer.byteLength(json)).toBeGreaterThan(2_000_000);
    const tracing = init({ endpoint: collector.tracesUrl, register: false, exportQueue: { scheduledDelayMs: 5 } });
    const result = await bulky.run({}, {}, { fixes: [] });
    await tracing.shutdown();
    expect(result.status).toBe("ok");
    // The tool's output and the node's input are the same state: sent once.
    expect(tracing.stats()).toMatchObject({ payloadsExported: 1, droppedPayloads: 0, failedPayloads: 0, dropped: 0, failedSpans: 0 });

    const fetchSpan = raw.spans.find((s) => s.attributes[Tracewright.STEP_KEY] === "bulky/tool:fetch_corpus#0");
    const marker = JSON.parse(String(fetchSpan?.attributes[OpenInference.OUTPUT_VALUE])) as { $type: string; bytes: number; preview: string; ref: string };
    const ref = createHash("sha256").update(json).digest("hex");
    expect(marker).toEqual({ $type: PayloadMarker.OFFLOADED, bytes: Buffer.byteLength(json), preview: json.slice(0, 2048), ref });
    expect(fetchSpan?.attributes[Tracewright.PAYLOAD_REF]).toEqual([ref]);
    expect(fetchSpan?.attributes[OpenInference.INPUT_VALUE]).toBe('{"q":"all"}');
    const nodeSpan = raw.spans.find((s) => s.attributes[Tracewright.STEP_KEY] === "bulky/node:summarize#0");
    expect(nodeSpan?.attributes[Tracewright.PAYLOAD_REF]).toEqual([ref]);
    expect(nodeSpan?.attributes[Tracewright.INPUT_HASH]).toBe(ref);
    expect(await store.getPayload(ref)).toBe(json);

    const { stdout } = await run(process.execPath, [bin, "runs", "show", result.runId, "--json", "--db", join(dir, "traces.db")], { maxBuffer: 64 * 1024 * 1024 });
    const shown = JSON.parse(stdout) as { steps: { key: string; input: unknown; output: unknown }[] };
    expect(shown.steps.find((s) => s.key === "bulky/tool:fetch_corpus#0")?.output).toEqual(corpus);
    expect(shown.steps.find((s) => s.key === "bulky/node:summarize#0")?.input).toEqual(corpus);

    const report = await replay({ store, runId: result.runId, mode: "reproduce", agents: [bulky] });
    expect(report.outcome).toBe("reproduced");
    expect(report.stats.live).toBe(0);
    // The replay run (written straight into the store, whole) has the same states.
    const replayed = await store.getRunSpans(report.replayRunId);
    expect(replayed.find((s) => s.attributes[Tracewright.STEP_KEY] === "bulky/node:summarize#0")?.attributes[OpenInference.INPUT_VALUE]).toBe(json);
  });
});
