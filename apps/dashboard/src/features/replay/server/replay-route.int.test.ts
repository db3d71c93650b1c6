import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "@tracewright/store";
import type { SpanRecord } from "@tracewright/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "../../../app/api/runs/[runId]/replay/route";

// The replay route as Next.js calls it (a Request and the route's params), over a real SQLite
// store named by TRACEWRIGHT_DB. Next.js hands the `[runId]` segment over percent-decoded except
// for a few escapes (such as `%2F`): the route must resolve it as the pages do, never throw on it.

const dir = mkdtempSync(join(tmpdir(), "tracewright-replay-route-"));
const ns = (ms: number): string => String(BigInt(ms) * 1_000_000n);

function rootSpan(runId: string, spanId: string): SpanRecord {
  return {
    traceId: spanId.repeat(2),
    spanId,
    name: "probe-agent",
    kind: 1,
    startTimeUnixNano: ns(1_800_000_000_000),
    endTimeUnixNano: ns(1_800_000_000_050),
    status: { code: 1 },
    attributes: { "tracewright.run.id": runId, "tracewright.step.key": "probe-agent", "tracewright.step.kind": "agent", "gen_ai.agent.name": "probe-agent", "input.value": "{}" },
    events: [],
    links: [],
    resource: {},
  };
}

function post(runIdParam: string, body: unknown): Promise<Response> {
  const request = new Request(`http://127.0.0.1:3000/api/runs/${encodeURIComponent(runIdParam)}/replay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return POST(request, { params: Promise.resolve({ runId: runIdParam }) });
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

beforeAll(async () => {
  const path = join(dir, "traces.db");
  const store = openSqliteStore({ path });
  await store.ingest([rootSpan("100%", "0000000000000001"), rootSpan("%E0%A4%A", "0000000000000002"), rootSpan("a/b", "0000000000000003")]);
  await store.close();
  process.env.TRACEWRIGHT_DB = path;
  delete process.env.TRACEWRIGHT_SOURCE;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("POST /api/runs/RUN_ID/replay", () => {
  it("finds a run whose id holds a percent sign (the param Next.js hands over is already decoded)", async () => {
    for (const runId of ["100%", "%E0%A4%A"]) {
      const response = await post(runId, { mode: "reproduce" });
      // The run was found: what stops it is that no entry point replays its agent.
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe("REPLAY_NO_AGENT");
      expect(error.message).toContain(`Run ${runId} `);
    }
  });

  it("finds a run whose id holds a slash, which Next.js leaves escaped", async () => {
    const response = await post("a%2Fb", { mode: "reproduce" });
    expect((await errorOf(response)).code).toBe("REPLAY_NO_AGENT");
  });

  it("refuses a fix the agents do not have, naming the ones they do: a misspelt fix replayed the fault as recorded, reported unfixed", async () => {
    const response = await post("100%", { mode: "verify-fix", fixes: ["agent_bug", "typo_fix"] });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("UNKNOWN_FIX");
    expect(error.message).toMatch(/^No fix named "typo_fix": the reference agents can be fixed of .*agent_bug/);
    // A known fix passes on to replay (which then finds no entry point for this probe agent).
    expect((await errorOf(await post("100%", { mode: "verify-fix", fixes: ["agent_bug"] }))).code).toBe("REPLAY_NO_AGENT");
  });

  it("answers 404 with REPLAY_NO_RUN for a run the store does not have", async () => {
    const response = await post("no-such-run", { mode: "reproduce" });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: "REPLAY_NO_RUN" });
  });
});
