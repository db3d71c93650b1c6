import { node, tool } from "@tracewright/instrument";
import { describe, expect, it } from "vitest";
import { replay } from "./engine.js";
import { recordRun, replayable, storePerTest } from "./replay.fixtures.js";
import type { ReplayableAgent } from "./types.js";

// Errors on replay: a recorded error comes back as it was thrown (its class name and own fields,
// so retry logic takes the same path), and an error the agent's own code throws again is compared
// with the recorded one as the recording saw it — through the same redaction.

const store = storePerTest();

const record = async (agent: ReplayableAgent): Promise<string> => (await recordRun(store(), agent)).runId;

class ThrottlingException extends Error {
  override name = "ThrottlingException";
  readonly $metadata = { httpStatusCode: 429 };
}

describe("errors on replay", () => {
  it("a tool that failed twice and then answered: the retry loop sees the same errors and takes the same path", async () => {
    let calls = 0;
    const seen: string[] = [];
    const retrying: ReplayableAgent = replayable("retrying", async () => {
      for (;;) {
        try {
          return await tool("quote", { symbol: "AMZN" }, () => {
            if (calls++ < 2) throw new ThrottlingException("Rate exceeded");
            return { price: 10 };
          });
        } catch (error) {
          const e = error as ThrottlingException;
          seen.push(`${e instanceof Error} ${e.name} ${e.message} ${e.$metadata.httpStatusCode}`);
          if (e.name !== "ThrottlingException") throw error;
        }
      }
    });
    const runId = await record(retrying);
    seen.length = 0;
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [retrying] });
    expect(report).toMatchObject({ outcome: "reproduced", divergences: [], stats: { hits: 3, live: 0, traceIdentical: true } });
    expect(seen).toEqual(["true ThrottlingException Rate exceeded 429", "true ThrottlingException Rate exceeded 429"]);
    expect(calls).toBe(3);
  });

  it("a node whose own error message holds a secret: compared redacted, as recorded — no error_mismatch — and the report shows it redacted", async () => {
    const secret = `sk-${"a1".repeat(16)}`;
    const failing: ReplayableAgent = replayable("failing", () =>
      node("authorize", {}, async () => {
        await tool("lookup", {}, () => ({ ok: false }));
        throw new Error(`key ${secret} was refused`);
      }),
    );
    const runId = await record(failing);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [failing] });
    expect(report.divergences).toEqual([]);
    expect(report.outcome).toBe("reproduced");
    expect(report.error).toBe("Error: key [REDACTED] was refused");
    expect(JSON.stringify(report)).not.toContain(secret);
  });

  it("a thrown value that is not an Error, with a message field of its own, compares equal to its recording", async () => {
    // As some SDKs throw: a plain object with a message and a code.
    const failing: ReplayableAgent = replayable("plain-throw", () =>
      node("charge", { amount: 5 }, () =>
        tool("pay", { amount: 5 }, () => {
          throw { message: "card declined", code: 402 };
        }),
      ),
    );
    const runId = await record(failing);
    const report = await replay({ store: store(), runId, mode: "reproduce", agents: [failing] });
    expect(report.divergences).toEqual([]);
    expect(report.outcome).toBe("reproduced");
  });
});
