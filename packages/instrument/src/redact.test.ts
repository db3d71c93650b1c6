import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { init } from "./init.js";
import { MASK } from "./redact.js";
import { hashJson } from "./hash.js";
import { serialize, setRedaction } from "./serialize.js";
import { tool } from "./steps.js";

afterEach(() => setRedaction(undefined));

describe("redaction, on by default", () => {
  it("masks values under secret-named keys, at any depth, and leaves counts alone", () => {
    const state = { user: "ana", password: "hunter2", nested: { apiKey: "k-123", headers: { Authorization: "Basic x", "x-api-key": "z" } }, aws_secret_access_key: "wJalr", usage: { inputTokens: 12, maxTokens: 100 }, client_secret: 7, access_token: "t" };
    const out = JSON.parse(serialize(state)) as typeof state;
    expect(out).toEqual({ access_token: MASK, aws_secret_access_key: MASK, client_secret: MASK, nested: { apiKey: MASK, headers: { Authorization: MASK, "x-api-key": MASK } }, password: MASK, usage: { inputTokens: 12, maxTokens: 100 }, user: "ana" });
  });

  it("masks secret-named keys in camel case too, and leaves counts, pagination and idempotency tokens and flags alone", () => {
    const secrets = ["dbPassword", "userPassword", "openaiApiKey", "githubToken", "apiToken", "webhookSecret", "signingSecret", "stripeSecretKey", "awsSecretAccessKey", "X-Api-Key", "SessionToken", "refresh_token", "idToken", "AccessToken"];
    const counts = ["inputTokens", "maxTokens", "totalTokenCount", "tokenizer", "passwordPolicy", "secretary", "NextToken", "next_token", "pageToken", "nextPageToken", "ContinuationToken", "ClientToken", "clientRequestToken", "idempotencyToken", "cancelToken", "hasPassword", "isSecret", "withCredentials"];
    const state = Object.fromEntries([...secrets, ...counts].map((k) => [k, "v"]));
    const out = JSON.parse(serialize(state)) as Record<string, string>;
    for (const key of secrets) expect(out[key], key).toBe(MASK);
    for (const key of counts) expect(out[key], key).toBe("v");
  });

  it("masks secret-named fields of an Error and secret-named keys of a Map, on the fast and the slow path alike", () => {
    const error = Object.assign(new Error("denied"), { token: "tok-s3cr3t", apiKey: "k1", code: "E_AUTH" });
    const headers = new Map<unknown, unknown>([["authorization", "Basic abc"], ["api_key", "s3cr3t"], ["accept", "json"], [7, "seven"]]);
    const cyclic: Record<string, unknown> = { error, headers };
    cyclic.self = cyclic;
    for (const text of [serialize({ error, headers }), serialize(cyclic)]) {
      expect(text).not.toContain("tok-s3cr3t");
      expect(text).not.toContain("Basic abc");
      expect(text).not.toContain('"s3cr3t"');
      const out = JSON.parse(text) as { error: Record<string, unknown>; headers: { entries: unknown[][] } };
      expect(out.error).toMatchObject({ $type: "Error", name: "Error", message: "denied", token: MASK, apiKey: MASK, code: "E_AUTH" });
      expect(out.headers.entries).toEqual([["authorization", MASK], ["api_key", MASK], ["accept", "json"], [7, "seven"]]);
    }
  });

  it("masks Stripe keys and webhook secrets", () => {
    for (const secret of ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "rk_test_51HqLyjWDarjtT1zdp7dc", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]) {
      expect(serialize({ note: `key ${secret} here` }), secret).toBe(`{"note":"key ${MASK} here"}`);
    }
  });

  it("masks secret-shaped strings anywhere in a value", () => {
    const text = "call with AKIAIOSFODNN7EXAMPLE and header Bearer eyJhbGciOi.payload.sig then sk-abcdefghijklmnopqrstuvwx";
    expect(JSON.parse(serialize({ note: text }))).toEqual({ note: `call with ${MASK} and header ${MASK} then ${MASK}` });
    expect(serialize(["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"])).toBe(`["${MASK}"]`);
  });

  it("masks a private key cut short, and scans headers without an END line once", () => {
    // A key with no END line (a truncated log line) is masked to the end of its string, or to the next header.
    expect(serialize({ note: "key: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg" })).toBe(`{"note":"key: ${MASK}"}`);
    expect(serialize("-----BEGIN EC PRIVATE KEY-----\nAAA-----BEGIN RSA PRIVATE KEY-----\nBBB\n-----END RSA PRIVATE KEY----- tail")).toBe(`"${MASK}${MASK} tail"`);
    // Cut short inside a JSON text carried as a string, or in a message above a stack: the key goes, the rest stays.
    expect(JSON.parse(JSON.parse(serialize({ a: JSON.stringify({ k: "-----BEGIN PRIVATE KEY-----\nMIIE", other: "keep me" }) })).a as string)).toEqual({ k: MASK, other: "keep me" });
    expect(JSON.parse(serialize({ e: "bad key -----BEGIN PRIVATE KEY-----\nMIIE\n(at f.js:1)" }))).toEqual({ e: `bad key ${MASK}(at f.js:1)` });
    // 1 MB of headers with no END: each once scanned to the end of the text (about 20 s); now one pass.
    const headers = "-----BEGIN PRIVATE KEY----- x ".repeat(35_000);
    const text = serialize({ note: headers });
    expect(text).toBe(JSON.stringify({ note: MASK.repeat(35_000) }));
  }, 5_000);

  it("masks the shortest strings of each shape too, alone and inside a value", () => {
    // Each is shorter than 16 characters, which the screen before every mask once skipped.
    for (const secret of ["Bearer abc123", "Bearer x", "xoxb-1234567890"]) {
      expect(serialize(secret)).toBe(`"${MASK}"`);
      expect(JSON.parse(serialize({ note: secret, when: new Date(0) }))).toEqual({ note: MASK, when: { $type: "Date", value: "1970-01-01T00:00:00.000Z" } });
      expect(serialize([secret])).toBe(`["${MASK}"]`);
    }
    expect(serialize("Bearer")).toBe('"Bearer"');
  });

  it("hashes the redacted state, so the secret cannot be recovered from the hash", () => {
    expect(hashJson(serialize({ password: "a" }))).toBe(hashJson(serialize({ password: "b" })));
  });

  it("applies configured keys, patterns, paths and a custom function", () => {
    setRedaction({ keys: ["ssn", /^card/i], patterns: [/\b\d{4}-\d{4}-\d{4}-\d{4}\b/g], paths: ["$.user.email", "$.items[*].note"], custom: (value, path) => (path === "$.user.name" ? "<name>" : value) });
    const out = JSON.parse(serialize({ ssn: "1", cardNumber: "x", memo: "pay 1234-5678-9012-3456 now", user: { email: "a@b.c", name: "Ana" }, items: [{ note: "n1", id: 1 }, { note: "n2", id: 2 }] }));
    expect(out).toEqual({ cardNumber: MASK, items: [{ id: 1, note: MASK }, { id: 2, note: MASK }], memo: `pay ${MASK} now`, ssn: MASK, user: { email: MASK, name: "<name>" } });
  });

  it("applies a key pattern given with the g flag to every key, and a value pattern without it to every match", () => {
    setRedaction({ keys: [/^card/gi], patterns: [/\d{3}-\d{2}-\d{4}/] });
    for (let i = 0; i < 2; i++) {
      expect(JSON.parse(serialize({ cardNumber: "4111", cardCvv: "123", CardHolder: "Ana" }))).toEqual({ CardHolder: MASK, cardCvv: MASK, cardNumber: MASK });
    }
    expect(serialize("ssn 123-45-6789 and spouse 987-65-4321")).toBe(`"ssn ${MASK} and spouse ${MASK}"`);
  });

  it("masks the whole value when redaction itself fails, never leaking it", () => {
    setRedaction({ custom: () => {
      throw new Error("custom redactor broke");
    } });
    const out = JSON.parse(serialize({ secretish: "do not leak me" })) as { $type: string; reason: string };
    expect(out.$type).toBe("Redacted");
    expect(out.reason).toContain("custom redactor broke");
    expect(JSON.stringify(out)).not.toContain("do not leak me");
  });

  it("can be turned off", () => {
    setRedaction({ enabled: false });
    expect(serialize({ password: "p" })).toBe('{"password":"p"}');
  });

  it("masks secrets in recorded errors too", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = init({ spanProcessors: [new SimpleSpanProcessor(exporter)], register: false });
    await expect(tool("login", { user: "ana", password: "hunter2" }, () => {
      throw new Error("rejected token Bearer abc.def.ghi for AKIAIOSFODNN7EXAMPLE");
    })).rejects.toThrow("Bearer abc.def.ghi");
    const span = exporter.getFinishedSpans()[0]!;
    const recorded = JSON.stringify({ attributes: span.attributes, events: span.events, status: span.status });
    expect(recorded).not.toContain("hunter2");
    expect(recorded).not.toContain("abc.def.ghi");
    expect(recorded).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(recorded).toContain(MASK);
    await tracing.shutdown();
  });
});

describe("redaction, property-based", () => {
  const secret = fc.oneof(
    fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
    fc.stringMatching(/^sk-[A-Za-z0-9]{24}$/),
    fc.stringMatching(/^[A-Za-z0-9]{20}$/).map((t) => `Bearer ${t}`),
  );
  const secretKey = fc.constantFrom("password", "apiKey", "API_KEY", "authorization", "client_secret", "accessToken", "x-api-key", "db.password");
  const plainKey = fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => !/pass|secret|token|key|auth|cookie|session|credential/.test(k));

  it("no generated secret survives, under a secret key or inside text", () => {
    fc.assert(
      fc.property(secret, secretKey, plainKey, fc.string(), (s, k, plain, filler) => {
        const out = serialize({ [k]: { value: `${filler}` }, [plain]: [`${filler} ${s} ${filler}`], nested: { deeper: [{ [k]: s }] } });
        return !out.includes(s);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the structure of values without secrets", () => {
    fc.assert(
      fc.property(fc.dictionary(plainKey, fc.oneof(fc.integer(), fc.boolean(), fc.stringMatching(/^[a-z ]{0,15}$/))), (value) => {
        expect(JSON.parse(serialize(value))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});
