/**
 * Local stand-ins of AWS endpoints for tests: real HTTP on 127.0.0.1 that real SDK v3 clients
 * talk to (through `endpoint`), speaking each service's wire protocol, enforcing its documented
 * limits, and failing on demand: throttling, 5xx, or a timeout (the request is held unanswered
 * and unprocessed until the client gives up). Not part of the build.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FaultKind = "throttle" | "server-error" | "timeout";

export interface FaultPlan {
  /** Fraction of requests failed at random, in [0, 1]. */
  rate?: number;
  /** Which faults random failures draw from. Default: all three. */
  kinds?: readonly FaultKind[];
  /** Seed of the deterministic random source. */
  seed?: number;
}

/** A deterministic PRNG (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface FakeServer {
  readonly url: string;
  /** Requests received, faults included. */
  readonly requests: number;
  /** Faults injected so far, by kind. */
  readonly faults: Record<FaultKind, number>;
  /** Fails the next `count` requests with `kind`. */
  failNext(kind: FaultKind, count?: number): void;
  /** Sets (or clears, with `{}`) the random failure plan. */
  setFaults(plan: FaultPlan): void;
  close(): Promise<void>;
}

export interface FaultAnswers {
  throttle: FakeAnswer;
  "server-error": FakeAnswer;
}

export async function startFakeServer(handle: (req: FakeRequest) => FakeAnswer, faultAnswers: FaultAnswers): Promise<FakeServer> {
  const queued: FaultKind[] = [];
  let plan: FaultPlan = {};
  let random = seededRandom(1);
  let requests = 0;
  const faults: Record<FaultKind, number> = { throttle: 0, "server-error": 0, timeout: 0 };
  const held = new Set<ServerResponse>();

  const pickFault = (): FaultKind | undefined => {
    const next = queued.shift();
    if (next !== undefined) return next;
    if ((plan.rate ?? 0) > 0 && random() < (plan.rate ?? 0)) {
      const kinds = plan.kinds ?? ["throttle", "server-error", "timeout"];
      return kinds[Math.floor(random() * kinds.length)];
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      const fault = pickFault();
      if (fault !== undefined) faults[fault]++;
      if (fault === "timeout") {
        // Never answered, never processed: the client's timeout fires and it retries.
        held.add(res);
        res.on("close", () => held.delete(res));
        return;
      }
      let answer: FakeAnswer;
      try {
        answer = fault === undefined ? handle({ method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) }) : faultAnswers[fault];
      } catch (error) {
        answer = { status: 500, body: { message: `fake failed: ${(error as Error).message}` } };
      }
      const body = Buffer.from(JSON.stringify(answer.body ?? {}));
      res.writeHead(answer.status, { "Content-Type": "application/json", "Content-Length": body.length, ...answer.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    faults,
    failNext(kind, count = 1) {
      for (let i = 0; i < count; i++) queued.push(kind);
    },
    setFaults(next) {
      plan = next;
      random = seededRandom(next.seed ?? 1);
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Static credentials and region for SDK clients pointed at a fake. */
export const FAKE_AWS = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDFAKEFAKEFAKE", secretAccessKey: "fake-secret" },
} as const;
