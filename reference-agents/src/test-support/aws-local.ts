import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { QueueSettings, Rule } from "../choreography/bus.js";
import { InProcessBus } from "../choreography/bus.js";

/** One request the local endpoint answered: `AWSEvents.PutEvents`, `AmazonSQS.ReceiveMessage`, … and its body. */
export interface LocalCall {
  target: string;
  body: Record<string, unknown>;
}

export interface LocalAws {
  endpoint: string;
  queueUrl(queue: string): string;
  dlqUrl(queue: string): string;
  calls: LocalCall[];
  close(): Promise<void>;
}

/**
 * A small local endpoint speaking the AWS JSON protocol for what the choreography's AWS bus
 * uses — EventBridge `PutEvents` (JSON 1.1) routed by rules into queues, and SQS
 * `ReceiveMessage` / `DeleteMessage` / `SendMessage` (JSON 1.0) — so the real SDK v3 clients can be pointed at
 * it with `endpoint`. Queue semantics come from the {@link InProcessBus} whose simulated clock
 * follows real time here: visibility timeout, receive counts, redrive to a dead-letter queue.
 * SQS queues are addressed as `<endpoint>/queue/<name>` and `<endpoint>/queue/<name>-dlq`.
 */
export async function startLocalAws(rules: readonly Rule[], settings: QueueSettings): Promise<LocalAws> {
  const bus = new InProcessBus(rules, settings);
  const started = Date.now();
  const calls: LocalCall[] = [];
  const sources = new Map<string, { source: string; bus: string; time: string }>();
  // Messages sent to a queue directly (SendMessage): a plain FIFO, without visibility semantics.
  const direct = new Map<string, Record<string, unknown>[]>();
  let sent = 0;

  const handle = async (target: string, body: Record<string, unknown>): Promise<unknown> => {
    bus.advance(Date.now() - started - bus.clock);
    switch (target) {
      case "AWSEvents.PutEvents": {
        const entries = (body.Entries as { Source: string; DetailType: string; Detail: string; EventBusName?: string }[] | undefined) ?? [];
        const out = [];
        for (const e of entries) {
          const id = await bus.putEvent({ detailType: e.DetailType, detail: JSON.parse(e.Detail) as Record<string, unknown>, carried: {} });
          sources.set(id, { source: e.Source, bus: e.EventBusName ?? "default", time: new Date().toISOString() });
          out.push({ EventId: id });
        }
        return { FailedEntryCount: 0, Entries: out };
      }
      case "AmazonSQS.SendMessage": {
        const { queue } = parseQueue(String(body.QueueUrl));
        const messageBody = String(body.MessageBody ?? "");
        const MessageId = `msg-${++sent}`;
        const trace = (body.MessageSystemAttributes as { AWSTraceHeader?: { StringValue?: string } } | undefined)?.AWSTraceHeader?.StringValue;
        const attributes = (body.MessageAttributes as Record<string, unknown> | undefined) ?? {};
        if (Object.keys(attributes).length > 10) throw Object.assign(new Error(`Number of message attributes [${Object.keys(attributes).length}] exceeds the allowed maximum [10].`), { awsType: "InvalidParameterValue" });
        const list = direct.get(queue) ?? [];
        list.push({ MessageId, ReceiptHandle: `${MessageId}#1`, Body: messageBody, MD5OfBody: md5(messageBody), MessageAttributes: attributes, Attributes: { ApproximateReceiveCount: "1", ...(trace === undefined ? {} : { AWSTraceHeader: trace }) } });
        direct.set(queue, list);
        return { MessageId, MD5OfMessageBody: md5(messageBody) };
      }
      case "AmazonSQS.ReceiveMessage": {
        const { queue, dlq } = parseQueue(String(body.QueueUrl));
        const max = Number(body.MaxNumberOfMessages ?? 1);
        const sentDirectly = direct.get(queue);
        if (sentDirectly !== undefined) return { Messages: sentDirectly.splice(0, max) };
        const received = dlq ? (await bus.deadLetters(queue)).slice(0, max) : await bus.receive(queue, max);
        return {
          Messages: received.map((m) => {
            const meta = sources.get(m.messageId);
            // What an EventBridge rule with an SQS target puts in the message body: the whole event.
            const envelope = JSON.stringify({ version: "0", id: m.messageId, "detail-type": m.event.detailType, source: meta?.source, account: "000000000000", time: meta?.time, region: "us-east-1", resources: [], detail: m.event.detail });
            return { MessageId: m.messageId, ReceiptHandle: m.receiptHandle || `${m.messageId}#dlq`, Body: envelope, MD5OfBody: md5(envelope), Attributes: { ApproximateReceiveCount: String(m.receiveCount) } };
          }),
        };
      }
      case "AmazonSQS.DeleteMessage": {
        const { queue, dlq } = parseQueue(String(body.QueueUrl));
        if (!dlq) await bus.delete(queue, String(body.ReceiptHandle));
        return {};
      }
      default:
        throw Object.assign(new Error(`Unsupported operation ${target}`), { awsType: "UnsupportedOperation" });
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const contentType = target.startsWith("AmazonSQS.") ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        // an empty object: the operation reports what is missing
      }
      calls.push({ target, body });
      handle(target, body).then(
        (out) => {
          res.writeHead(200, { "content-type": contentType });
          res.end(JSON.stringify(out));
        },
        (error: unknown) => {
          const type = (error as { awsType?: string }).awsType ?? "InternalFailure";
          res.writeHead(400, { "content-type": contentType, "x-amzn-query-error": `${type};Sender` });
          res.end(JSON.stringify({ __type: type, message: error instanceof Error ? error.message : String(error) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    queueUrl: (queue) => `${endpoint}/queue/${queue}`,
    dlqUrl: (queue) => `${endpoint}/queue/${queue}-dlq`,
    calls,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

function parseQueue(url: string): { queue: string; dlq: boolean } {
  const name = url.slice(url.lastIndexOf("/") + 1);
  return name.endsWith("-dlq") ? { queue: name.slice(0, -4), dlq: true } : { queue: name, dlq: false };
}

/** A request the local DynamoDB/S3 endpoint answered: `DynamoDB_20120810.GetItem`, `S3 PUT /bucket/key`, … */
export interface LocalStateAws {
  endpoint: string;
  calls: string[];
  /** Items by table, then by partition key value: what PutItem wrote. */
  tables: Map<string, Map<string, Record<string, unknown>>>;
  /** Objects by bucket, then by key. */
  buckets: Map<string, Map<string, Buffer>>;
  close(): Promise<void>;
}

/**
 * A small local endpoint for the session stores' AWS backends, enough of the real wire
 * protocols for the SDK v3 clients: DynamoDB's JSON 1.0 `GetItem`/`PutItem` (by `X-Amz-Target`,
 * the partition key named by `keyAttribute`) and S3's path-style `GetObject`/`PutObject`
 * (`/bucket/key`, `aws-chunked` bodies with trailing checksums decoded, `NoSuchKey` and
 * `NoSuchBucket` errors in S3's XML). Only the tables and buckets it is given exist.
 */
export async function startLocalStateAws(options: { tables: readonly string[]; buckets: readonly string[]; keyAttribute?: string }): Promise<LocalStateAws> {
  const keyAttribute = options.keyAttribute ?? "sessionId";
  const tables = new Map(options.tables.map((t) => [t, new Map<string, Record<string, unknown>>()]));
  const buckets = new Map(options.buckets.map((b) => [b, new Map<string, Buffer>()]));
  const calls: string[] = [];

  const dynamo = (target: string, body: Record<string, unknown>, res: ServerResponse): void => {
    const reply = (status: number, out: unknown): void => void res.writeHead(status, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify(out));
    const error = (type: string, message: string): void => reply(400, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
    const table = tables.get(String(body.TableName));
    if (table === undefined) return error("ResourceNotFoundException", "Requested resource not found");
    const operation = target.slice(target.indexOf(".") + 1);
    const item = (operation === "GetItem" ? body.Key : body.Item) as Record<string, { S?: string }> | undefined;
    const key = item?.[keyAttribute]?.S;
    if (key === undefined) return error("ValidationException", `One of the required keys was not given a value: ${keyAttribute}`);
    if (operation === "GetItem") {
      const found = table.get(key);
      return reply(200, found === undefined ? {} : { Item: found });
    }
    if (operation === "PutItem") {
      table.set(key, item as Record<string, unknown>);
      return reply(200, {});
    }
    return error("UnknownOperationException", `Unsupported operation ${operation}`);
  };

  const s3 = (method: string, url: string, body: Buffer, headers: IncomingMessage["headers"], res: ServerResponse): void => {
    const path = new URL(url, "http://local").pathname;
    const slash = path.indexOf("/", 1);
    const bucketName = decodeURIComponent(path.slice(1, slash === -1 ? undefined : slash));
    const key = slash === -1 ? "" : decodeURIComponent(path.slice(slash + 1));
    const xmlError = (status: number, code: string, message: string): void =>
      void res.writeHead(status, { "content-type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>${escapeXml(key)}</Key><RequestId>local</RequestId></Error>`);
    const bucket = buckets.get(bucketName);
    if (bucket === undefined) return xmlError(404, "NoSuchBucket", "The specified bucket does not exist");
    if (method === "PUT") {
      const payload = String(headers["content-encoding"] ?? "").includes("aws-chunked") || String(headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-") ? decodeAwsChunked(body) : body;
      bucket.set(key, payload);
      return void res.writeHead(200, { etag: `"${md5(payload.toString("binary"))}"` }).end();
    }
    if (method === "GET") {
      const object = bucket.get(key);
      if (object === undefined) return xmlError(404, "NoSuchKey", "The specified key does not exist.");
      return void res.writeHead(200, { "content-type": "application/json", "content-length": object.length, etag: `"${md5(object.toString("binary"))}"` }).end(object);
    }
    xmlError(405, "MethodNotAllowed", `The specified method is not allowed against this resource: ${method}`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target.startsWith("DynamoDB_20120810.")) {
        calls.push(target);
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw.toString("utf8") || "{}") as Record<string, unknown>;
        } catch {
          // an empty request: the operation says what is missing
        }
        dynamo(target, body, res);
        return;
      }
      calls.push(`S3 ${req.method ?? ""} ${new URL(req.url ?? "/", "http://local").pathname}`);
      s3(req.method ?? "GET", req.url ?? "/", raw, req.headers, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    tables,
    buckets,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** The payload of an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n`…, then `0\r\n` and trailers. */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const size = parseInt(body.subarray(at, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
