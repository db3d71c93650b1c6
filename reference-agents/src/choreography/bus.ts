import type { Carried } from "@tracewright/instrument";
import { ReferenceAgentError } from "../errors.js";

/**
 * The message bus the choreography's agents talk through: EventBridge semantics for routing
 * (rules match on detail-type and detail fields, and send to queues) and SQS semantics for
 * delivery (at least once; a received message is invisible for the visibility timeout and
 * comes back unless deleted; after `maxReceiveCount` receives it moves to the queue's
 * dead-letter queue). The in-process bus below is deterministic: its clock is simulated and
 * advanced by whoever drives it, so a run delivers the same messages in the same order every time.
 */
export interface BusEvent {
  detailType: string;
  detail: Record<string, unknown>;
  /** The trace context and run the publisher carried (EventBridge delivers no trace header). */
  carried: Carried;
}

export interface Rule {
  name: string;
  detailType: readonly string[];
  /** Every field listed must equal one of the values (EventBridge's exact-match pattern). */
  detail?: Readonly<Record<string, readonly unknown[]>>;
  queue: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  event: BusEvent;
  /** 1 for the first delivery. */
  receiveCount: number;
}

export interface QueueSettings {
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

export interface MessageBus {
  /** PutEvents: routes the event to the queue of every matching rule; returns the event id. */
  putEvent(event: BusEvent): Promise<string>;
  /** ReceiveMessage: at most `max` visible messages, each made invisible for the visibility timeout. */
  receive(queue: string, max: number): Promise<ReceivedMessage[]>;
  /** DeleteMessage: the message was processed. */
  delete(queue: string, receiptHandle: string): Promise<void>;
  /** The messages moved to a queue's dead-letter queue. */
  deadLetters(queue: string): Promise<ReceivedMessage[]>;
}

export class BusError extends ReferenceAgentError {
  override name = "BusError";
}

/** Whether a rule matches an event (exact-match patterns on detail-type and top-level detail fields). */
export function ruleMatches(rule: Rule, event: Pick<BusEvent, "detailType" | "detail">): boolean {
  if (!rule.detailType.includes(event.detailType)) return false;
  for (const [field, values] of Object.entries(rule.detail ?? {})) {
    if (!values.includes(event.detail[field])) return false;
  }
  return true;
}

interface Stored {
  messageId: string;
  event: BusEvent;
  receiveCount: number;
  visibleAt: number;
  receipt: string | undefined;
}

/** The in-process bus: a simulated clock, no timers, a fixed order. */
export class InProcessBus implements MessageBus {
  private now = 0;
  private nextId = 0;
  private readonly queues = new Map<string, Stored[]>();
  private readonly dlqs = new Map<string, ReceivedMessage[]>();

  constructor(
    private readonly rules: readonly Rule[],
    private readonly settings: QueueSettings = { visibilityTimeoutMs: 30_000, maxReceiveCount: 3 },
  ) {
    for (const rule of rules) if (!this.queues.has(rule.queue)) this.queues.set(rule.queue, []);
  }

  /** The simulated time, in ms since the bus was made. */
  get clock(): number {
    return this.now;
  }

  /** Moves the simulated clock forward (a consumer waiting for its next poll). */
  advance(ms: number): void {
    this.now += ms;
  }

  /** When the next invisible message becomes visible again, if any. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const list of this.queues.values()) for (const m of list) if (m.visibleAt > this.now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    return next;
  }

  async putEvent(event: BusEvent): Promise<string> {
    if (typeof event.detailType !== "string" || event.detailType === "") throw new BusError("BUS_BAD_EVENT", "An event needs a detail-type.");
    const messageId = `evt-${++this.nextId}`;
    for (const rule of this.rules) {
      if (ruleMatches(rule, event)) this.queues.get(rule.queue)?.push({ messageId, event: structuredClone(event), receiveCount: 0, visibleAt: this.now, receipt: undefined });
    }
    return messageId;
  }

  async receive(queue: string, max: number): Promise<ReceivedMessage[]> {
    const list = this.queue(queue);
    const out: ReceivedMessage[] = [];
    for (const m of [...list]) {
      if (out.length >= max) break;
      if (m.visibleAt > this.now) continue;
      if (m.receiveCount >= this.settings.maxReceiveCount) {
        // SQS's redrive policy: past maxReceiveCount the message goes to the dead-letter queue.
        list.splice(list.indexOf(m), 1);
        const dlq = this.dlqs.get(queue) ?? [];
        dlq.push({ messageId: m.messageId, receiptHandle: "", event: m.event, receiveCount: m.receiveCount });
        this.dlqs.set(queue, dlq);
        continue;
      }
      m.receiveCount++;
      m.visibleAt = this.now + this.settings.visibilityTimeoutMs;
      m.receipt = `${m.messageId}#${m.receiveCount}`;
      out.push({ messageId: m.messageId, receiptHandle: m.receipt, event: structuredClone(m.event), receiveCount: m.receiveCount });
    }
    return out;
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    const list = this.queue(queue);
    const index = list.findIndex((m) => m.receipt === receiptHandle);
    // A stale receipt (the message became visible and was received again) deletes nothing, as in SQS.
    if (index !== -1) list.splice(index, 1);
  }

  async deadLetters(queue: string): Promise<ReceivedMessage[]> {
    return [...(this.dlqs.get(queue) ?? [])];
  }

  /** Messages still queued (visible or not). */
  pending(queue: string): number {
    return this.queue(queue).length;
  }

  private queue(name: string): Stored[] {
    const list = this.queues.get(name);
    if (list === undefined) throw new BusError("BUS_NO_QUEUE", `No queue "${name}"; the queues are ${[...this.queues.keys()].join(", ")}.`);
    return list;
  }
}
