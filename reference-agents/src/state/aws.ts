import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SessionStoreError } from "../errors.js";
import type { SessionStore } from "./store.js";
import { checkSessionKey, decodeSessionState, encodeSessionState } from "./store.js";

/**
 * Session stores over AWS, through the real SDK v3 clients: give them your own client, or let
 * them make one from the SDK's environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL_S3`, …), so a local endpoint can stand in for AWS.
 */

export interface DynamoDbSessionStoreOptions {
  /** The table; its partition key is a string attribute named by {@link keyAttribute}. */
  table: string;
  /** The partition key's attribute. Default: `sessionId`. */
  keyAttribute?: string;
  /** Default: a client from the SDK's environment. */
  client?: DynamoDBClient;
}

/**
 * Sessions as DynamoDB items: the key in {@link DynamoDbSessionStoreOptions.keyAttribute}, the
 * state as JSON text in `state` (an item holds up to 400 KB). Reads are strongly consistent, so
 * an invocation sees the previous one's save.
 */
export function dynamoDbSessionStore(options: DynamoDbSessionStoreOptions): SessionStore {
  const client = options.client ?? new DynamoDBClient({});
  const keyAttribute = options.keyAttribute ?? "sessionId";
  const where = (key: string) => `session "${key}" in DynamoDB table ${options.table}`;
  return {
    description: `dynamodb:${options.table}`,
    async load(key) {
      checkSessionKey(key);
      const out = await failing(where(key), "read", () => client.send(new GetItemCommand({ TableName: options.table, Key: { [keyAttribute]: { S: key } }, ConsistentRead: true })));
      const text = out.Item?.state?.S;
      if (out.Item === undefined) return null;
      if (text === undefined) throw new SessionStoreError("SESSION_STORE_FAILED", `${where(key)} has no string attribute "state"; it was not written by a session store`);
      return decodeSessionState(where(key), text);
    },
    async save(key, state) {
      checkSessionKey(key);
      const text = encodeSessionState(key, state);
      await failing(where(key), "write", () => client.send(new PutItemCommand({ TableName: options.table, Item: { [keyAttribute]: { S: key }, state: { S: text } } })));
      return Buffer.byteLength(text);
    },
    async close() {
      if (options.client === undefined) client.destroy();
    },
  };
}

export interface S3SessionStoreOptions {
  bucket: string;
  /** Put before each key, e.g. `sessions/`. Default: none. */
  prefix?: string;
  /** Default: a path-style client from the SDK's environment. */
  client?: S3Client;
}

/** Sessions as S3 objects `<prefix><key>.json`, `application/json`. */
export function s3SessionStore(options: S3SessionStoreOptions): SessionStore {
  const client = options.client ?? new S3Client({ forcePathStyle: true });
  const objectKey = (key: string) => `${options.prefix ?? ""}${checkSessionKey(key)}.json`;
  const where = (key: string) => `session "${key}" at s3://${options.bucket}/${objectKey(key)}`;
  return {
    description: `s3:${options.bucket}${options.prefix === undefined ? "" : `/${options.prefix}`}`,
    async load(key) {
      const Key = objectKey(key);
      let text: string;
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key }));
        text = (await out.Body?.transformToString("utf8")) ?? "";
      } catch (error) {
        if ((error as { name?: string }).name === "NoSuchKey") return null;
        throw storeFailed(where(key), "read", error);
      }
      return decodeSessionState(where(key), text);
    },
    async save(key, state) {
      const Key = objectKey(key);
      const text = encodeSessionState(key, state);
      await failing(where(key), "write", () => client.send(new PutObjectCommand({ Bucket: options.bucket, Key, Body: text, ContentType: "application/json" })));
      return Buffer.byteLength(text);
    },
    async close() {
      if (options.client === undefined) client.destroy();
    },
  };
}

async function failing<T>(where: string, action: "read" | "write", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeFailed(where, action, error);
  }
}

function storeFailed(where: string, action: "read" | "write", error: unknown): SessionStoreError {
  const name = (error as { name?: string }).name ?? "Error";
  return new SessionStoreError("SESSION_STORE_FAILED", `cannot ${action} ${where}: ${name}: ${(error as Error).message}`, { cause: error });
}
