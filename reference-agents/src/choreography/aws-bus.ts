import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { Carried } from "@tracewright/instrument";
import { EVENTBRIDGE_FIELD, fromEventBridgeEvent, fromSqsMessage, withEventBridgeContext } from "@tracewright/instrument";
import type { BusEvent, MessageBus, ReceivedMessage } from "./bus.js";
import { BusError } from "./bus.js";

export interface AwsBusOptions {
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
  /** The worker and results queues by name (the `queue` of each rule) → their queue URLs. */
  queueUrls: Readonly<Record<string, string>>;
  /** Each queue's dead-letter queue URL (its redrive policy's target). */
  deadLetterQueueUrls?: Readonly<Record<string, string>>;
  /** The event bus PutEvents writes to. Default: `default`. */
  eventBusName?: string;
  /** The events' `source`. Default: `tracewright.choreography`. */
  source?: string;
  /** ReceiveMessage's long poll, in seconds. Default: 0 (short poll). */
  waitTimeSeconds?: number;
}

/**
 * The {@link MessageBus} over real AWS: events go to EventBridge (PutEvents), whose rules target
 * the SQS queues; handlers receive and delete through SQS. The rules and redrive policies are
 * the infrastructure's, not this class's. EventBridge delivers no trace header to its targets,
 * so the carried context travels inside `detail` (`detail._tracewright`) and is taken out again
 * on receive; a message sent to a queue directly is read from its message attributes or its
 * `AWSTraceHeader` instead.
 */
export class AwsBus implements MessageBus {
  constructor(private readonly options: AwsBusOptions) {}

  async putEvent(event: BusEvent): Promise<string> {
    const out = await this.options.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: this.options.source ?? "tracewright.choreography",
            DetailType: event.detailType,
            Detail: JSON.stringify(withEventBridgeContext(event.detail, event.carried)),
            EventBusName: this.options.eventBusName ?? "default",
          },
        ],
      }),
    );
    const entry = out.Entries?.[0];
    if ((out.FailedEntryCount ?? 0) > 0 || entry?.EventId === undefined) {
      throw new BusError("BUS_PUT_FAILED", `PutEvents did not accept ${event.detailType}: ${entry?.ErrorCode ?? "no event id"} ${entry?.ErrorMessage ?? ""}`.trim());
    }
    return entry.EventId;
  }

  async receive(queue: string, max: number): Promise<ReceivedMessage[]> {
    return this.receiveFrom(this.url(queue, this.options.queueUrls), max);
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    await this.options.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url(queue, this.options.queueUrls), ReceiptHandle: receiptHandle }));
  }

  async deadLetters(queue: string): Promise<ReceivedMessage[]> {
    const url = this.options.deadLetterQueueUrls?.[queue];
    return url === undefined ? [] : this.receiveFrom(url, 10);
  }

  private async receiveFrom(queueUrl: string, max: number): Promise<ReceivedMessage[]> {
    const out = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(Math.max(max, 1), 10),
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "AWSTraceHeader"],
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: this.options.waitTimeSeconds ?? 0,
      }),
    );
    return (out.Messages ?? []).map((m) => toReceived(m));
  }

  private url(queue: string, urls: Readonly<Record<string, string>>): string {
    const url = urls[queue];
    if (url === undefined) throw new BusError("BUS_NO_QUEUE", `No queue URL for "${queue}"; the queues are ${Object.keys(urls).join(", ")}.`);
    return url;
  }
}

/** An SQS message whose body is the EventBridge event an EventBridge rule delivered. */
function toReceived(message: Message): ReceivedMessage {
  let body: { "detail-type"?: unknown; detail?: unknown };
  try {
    body = JSON.parse(message.Body ?? "") as typeof body;
  } catch (cause) {
    throw new BusError("BUS_BAD_MESSAGE", `Message ${message.MessageId ?? "?"} is not an EventBridge event (its body is not JSON).`, { cause });
  }
  if (typeof body["detail-type"] !== "string" || body.detail === null || typeof body.detail !== "object") {
    throw new BusError("BUS_BAD_MESSAGE", `Message ${message.MessageId ?? "?"} is not an EventBridge event: expected "detail-type" and "detail".`);
  }
  const { [EVENTBRIDGE_FIELD]: _carried, ...detail } = body.detail as Record<string, unknown>;
  const inDetail = fromEventBridgeEvent(body);
  const carried: Carried = inDetail.traceparent !== undefined || inDetail.runId !== undefined ? inDetail : fromSqsMessage(message);
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    event: { detailType: body["detail-type"], detail, carried },
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
  };
}
