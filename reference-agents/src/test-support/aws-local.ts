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
