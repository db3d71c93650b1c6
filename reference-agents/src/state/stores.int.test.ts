import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionStoreError } from "../errors.js";
import type { LocalStateAws } from "../test-support/aws-local.js";
import { startLocalStateAws } from "../test-support/aws-local.js";
import { describeSessionStoreContract } from "../test-support/session-store-contract.js";
import { dynamoDbSessionStore, s3SessionStore } from "./aws.js";
import { openSessionStore } from "./open.js";
import { fileSessionStore, memorySessionStore, sqliteSessionStore } from "./store.js";

let aws: LocalStateAws;
let tables = 0;
beforeAll(async () => {
  aws = await startLocalStateAws({ tables: Array.from({ length: 20 }, (_, i) => `sessions-${i}`), buckets: Array.from({ length: 20 }, (_, i) => `bucket-${i}`) });
});
afterAll(() => aws.close());

// The real SDK clients, against the local endpoint, over HTTP/1.1 on loopback.
const clientConfig = () => ({ endpoint: aws.endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" }, maxAttempts: 1 });
const dynamo = () => new DynamoDBClient(clientConfig());
const s3 = () => new S3Client({ ...clientConfig(), forcePathStyle: true });

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), "tw-sessions-"));
}

describeSessionStoreContract("memory", async () => {
  const entries = new Map<string, string>();
  return { store: memorySessionStore(entries), reopen: () => memorySessionStore(entries) };
});

describeSessionStoreContract("file", async () => {
  const dir = temporaryDirectory();
  return { store: fileSessionStore(dir), reopen: () => fileSessionStore(dir), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
});

describeSessionStoreContract("sqlite", async () => {
  const dir = temporaryDirectory();
  const path = join(dir, "sessions.db");
  return { store: sqliteSessionStore(path), reopen: () => sqliteSessionStore(path), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
});

describeSessionStoreContract("dynamodb (real SDK client, local endpoint)", async () => {
  const table = `sessions-${tables++ % 20}`;
  aws.tables.get(table)?.clear();
  return { store: dynamoDbSessionStore({ table, client: dynamo() }), reopen: () => dynamoDbSessionStore({ table, client: dynamo() }) };
});

describeSessionStoreContract("s3 (real SDK client, local endpoint)", async () => {
  const bucket = `bucket-${tables++ % 20}`;
  aws.buckets.get(bucket)?.clear();
  return { store: s3SessionStore({ bucket, prefix: "sessions/", client: s3() }), reopen: () => s3SessionStore({ bucket, prefix: "sessions/", client: s3() }) };
});

describe("the AWS session stores on the wire", () => {
  it("write a DynamoDB item keyed by sessionId with the state as JSON text, read consistently", async () => {
    const store = dynamoDbSessionStore({ table: "sessions-0", client: dynamo() });
    aws.calls.length = 0;
    await store.save("wire-1", { status: "done" });
    expect(await store.load("wire-1")).toEqual({ status: "done" });
    expect(aws.tables.get("sessions-0")?.get("wire-1")).toEqual({ sessionId: { S: "wire-1" }, state: { S: '{"status":"done"}' } });
    expect(aws.calls).toEqual(["DynamoDB_20120810.PutItem", "DynamoDB_20120810.GetItem"]);
  });

  it("write an S3 object under the prefix, path-style", async () => {
    const store = s3SessionStore({ bucket: "bucket-0", prefix: "sessions/", client: s3() });
    aws.calls.length = 0;
    await store.save("wire-2", { status: "done" });
    expect(aws.buckets.get("bucket-0")?.get("sessions/wire-2.json")?.toString("utf8")).toBe('{"status":"done"}');
    expect(aws.calls[0]).toBe("S3 PUT /bucket-0/sessions/wire-2.json");
  });

  it("say what failed, naming the table or bucket and AWS's error", async () => {
    await expect(dynamoDbSessionStore({ table: "no-such-table", client: dynamo() }).load("k")).rejects.toThrow('cannot read session "k" in DynamoDB table no-such-table: ResourceNotFoundException: Requested resource not found');
    await expect(s3SessionStore({ bucket: "no-such-bucket", client: s3() }).save("k", {})).rejects.toThrow('cannot write session "k" at s3://no-such-bucket/k.json: NoSuchBucket');
    aws.tables.get("sessions-1")?.set("odd", { sessionId: { S: "odd" }, other: { N: "1" } });
    await expect(dynamoDbSessionStore({ table: "sessions-1", client: dynamo() }).load("odd")).rejects.toThrow('session "odd" in DynamoDB table sessions-1 has no string attribute "state"');
  });
});

describe("openSessionStore", () => {
  it("opens the store a spec names", async () => {
    const dir = temporaryDirectory();
    try {
      const specs = { [`file:${dir}`]: `file:${dir}`, [`sqlite:${join(dir, "s.db")}`]: `sqlite:${join(dir, "s.db")}`, "dynamodb:t": "dynamodb:t", "s3:b/p/": "s3:b/p/", "s3:b": "s3:b", memory: "memory" };
      for (const [spec, description] of Object.entries(specs)) {
        const store = openSessionStore(spec);
        expect(store.description).toBe(description);
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown spec, listing what it takes", () => {
    for (const spec of ["redis:x", "file:", "dynamodb"]) expect(() => openSessionStore(spec)).toThrow(new SessionStoreError("SESSION_STORE_CONFIG", `unknown session store "${spec}" (TRACEWRIGHT_SESSION_STORE); expected file:DIR, sqlite:PATH, dynamodb:TABLE, s3:BUCKET[/PREFIX] or memory`));
  });

  it("reports a session file that is not JSON, naming the file", async () => {
    const dir = temporaryDirectory();
    try {
      writeFileSync(join(dir, "broken.json"), "{not json");
      await expect(fileSessionStore(dir).load("broken")).rejects.toThrow(`${join(dir, "broken.json")} does not hold JSON`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
