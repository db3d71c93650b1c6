import { ROOT_CONTEXT, SpanKind, context as otelContext, trace } from "@opentelemetry/api";
import type { Link } from "@opentelemetry/api";
import { Messaging, OpenInference, OpenInferenceKind, StepKind } from "./conventions.js";
import { carry, resume } from "./propagation.js";
import type { Carried } from "./propagation.js";
import { runWithResult, withStep } from "./steps.js";
import type { RunContext, RunOptions, RunResult } from "./steps.js";

export interface MessageTarget {
  /** `messaging.system`: `aws_sqs`, `aws.eventbridge`, `in_process`, … */
  system: string;
  /** The queue or bus (`messaging.destination.name`). */
  destination: string;
}

/** What {@link publish} resolves to. */
export interface Published {
  messageId: string;
  /** The context the message carries (its consumer continues the run under the message step). */
  carried: Carried;
  /**
   * False when replay served the send from the recording: nothing was sent. A transport that is
   * part of the program itself (an in-process bus) then delivers the recorded message again.
   */
  sent: boolean;
}

/**
 * Publishes a message as a `message` step (span kind PRODUCER): the message is the step's input,
 * `send` gets it with the context to carry (taken inside the step, so the consumer hangs under
 * it) and returns the message id, which is the step's recorded output — so replay serves it.
 */
export async function publish<M>(target: MessageTarget, message: M, send: (message: M, carried: Carried) => string | Promise<string>): Promise<Published> {
  let carried: Carried = {};
  let sent = false;
  const messageId = await withStep(
    {
      kind: StepKind.MESSAGE,
      name: target.destination,
      spanName: `send ${target.destination}`,
      spanKind: SpanKind.PRODUCER,
      input: message,
      attributes: {
        [Messaging.SYSTEM]: target.system,
        [Messaging.OPERATION_TYPE]: "send",
        [Messaging.DESTINATION_NAME]: target.destination,
        [OpenInference.SPAN_KIND]: OpenInferenceKind.CHAIN,
      },
      onStart: (ctx) => {
        carried = carry(ctx);
      },
    },
    (input) => {
      sent = true;
      return send(input as M, carried);
    },
  );
  return { messageId, carried, sent };
}

export interface Delivery<M> {
  message: M;
  carried: Carried;
  /** 0 for the first delivery, 1 for the first redelivery, … */
  attempt: number;
  /** The message id, if the transport has one. */
  messageId?: string;
}

/**
 * Processes a delivered message as a run that continues the producer's run (span kind
 * CONSUMER, linked to the producer's span, keyed under the producer's step). Without a carried
 * run id it starts a new run, in a trace of its own, linked to the producer's span if one came. Resolves like `runWithResult`: never rejects for the handler's error.
 */
export function consume<M, O>(agent: string, target: MessageTarget, delivery: Delivery<M>, handler: (ctx: RunContext<M>) => O | Promise<O>, options: RunOptions = {}): Promise<RunResult<O>> {
  const resumed = resume(delivery.carried, delivery.attempt);
  const producer = trace.getSpanContext(resumed);
  // A message whose producer carried no run (an uninstrumented producer whose AWS SDK put its
  // Lambda's X-Ray header on the message, or plain OpenTelemetry): a run of its own, in a trace of
  // its own, linked to the producer. As the producer trace's child, every such message of one
  // producer would share one run id (the trace's, keys colliding), and take the producer's
  // sampling decision — an X-Ray header most often says Sampled=0, and nothing was recorded.
  const ctx = delivery.carried.runId === undefined || delivery.carried.runId === "" ? ROOT_CONTEXT : resumed;
  const links: Link[] = producer === undefined ? [] : [{ context: producer }];
  return otelContext.with(ctx, () =>
    runWithResult(agent, delivery.message, handler, {
      ...options,
      spanKind: SpanKind.CONSUMER,
      links: [...links, ...(options.links ?? [])],
      attributes: {
        [Messaging.SYSTEM]: target.system,
        [Messaging.OPERATION_TYPE]: "process",
        [Messaging.DESTINATION_NAME]: target.destination,
        ...(delivery.messageId === undefined ? {} : { [Messaging.MESSAGE_ID]: delivery.messageId }),
        ...options.attributes,
      },
    }),
  );
}
