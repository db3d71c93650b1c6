/**
 * `TracewrightCollector`: the collector deployed with the AWS CDK — the HTTP function behind a
 * Function URL with IAM auth, the SQS function fed by a queue (with a DLQ and
 * `ReportBatchItemFailures`), the traces log group with a retention, and least-privilege roles
 * (`xray:PutTraceSegments`; `logs:CreateLogStream` and `logs:PutLogEvents` on that group only).
 *
 * This module is its own entry: the handlers' entry (`index.ts`) never imports aws-cdk-lib, so the
 * Lambda bundle does not carry it. Imports are default imports of the CommonJS modules, which
 * Node's ESM loader always resolves.
 */
import cdk from "aws-cdk-lib";
import iam from "aws-cdk-lib/aws-iam";
import lambda from "aws-cdk-lib/aws-lambda";
import sources from "aws-cdk-lib/aws-lambda-event-sources";
import logs from "aws-cdk-lib/aws-logs";
import sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULT_LOG_GROUP, checkLogGroupName } from "@tracewright/store/cloudwatch";

export interface TracewrightCollectorProps {
  /**
   * The bundled collector (an ESM bundle of this package whose module exports `httpHandler` and
   * `sqsHandler`, e.g. built with esbuild; see the README). Required: nothing is built at synth time.
   */
  code: lambda.Code;
  /** The handlers' module, as Lambda names handlers. Default: `index` (`index.httpHandler`, `index.sqsHandler`). */
  handlerModule?: string;
  /** `TRACEWRIGHT_SINKS`. Default: `["xray", "cloudwatch"]`. */
  sinks?: readonly ("xray" | "cloudwatch" | "langsmith")[];
  /** The traces log group (`TRACEWRIGHT_LOG_GROUP`). Default: `/tracewright/spans`; never `aws/…`. */
  logGroupName?: string;
  /** Retention of the traces log group. Default: one month. */
  retention?: logs.RetentionDays;
  /** Default: RETAIN — traces outlive the stack. */
  removalPolicy?: cdk.RemovalPolicy;
  /** Default: 512. */
  memorySize?: number;
  /** Per invocation. Default: 30 s. */
  timeout?: cdk.Duration;
  /** Receives before a message moves to the DLQ. Default: 5. */
  maxReceiveCount?: number;
  /** SQS messages per invocation. Default: 10. */
  batchSize?: number;
  /** Default: Node.js 24 (Lambda deprecated nodejs20.x on 2026-04-30; the bundle targets Node 20+). */
  runtime?: lambda.Runtime;
  /** Further environment variables (e.g. `LANGSMITH_ENDPOINT`). */
  environment?: Record<string, string>;
}

export class TracewrightCollector extends Construct {
  readonly httpFunction: lambda.Function;
  readonly queueFunction: lambda.Function;
  readonly url: lambda.FunctionUrl;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TracewrightCollectorProps) {
    super(scope, id);
    const logGroupName = checkLogGroupName(props.logGroupName ?? DEFAULT_LOG_GROUP);
    const timeout = props.timeout ?? cdk.Duration.seconds(30);
    const module = props.handlerModule ?? "index";

    this.logGroup = new logs.LogGroup(this, "Traces", {
      logGroupName,
      retention: props.retention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? cdk.RemovalPolicy.RETAIN,
    });

    const environment = {
      ...props.environment,
      TRACEWRIGHT_SINKS: (props.sinks ?? ["xray", "cloudwatch"]).join(","),
      TRACEWRIGHT_LOG_GROUP: logGroupName,
      NODE_OPTIONS: "--enable-source-maps",
    };
    const common = {
      code: props.code,
      runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
      memorySize: props.memorySize ?? 512,
      timeout,
      environment,
      architecture: lambda.Architecture.ARM_64,
    };
    this.httpFunction = new lambda.Function(this, "Http", { ...common, handler: `${module}.httpHandler`, description: "Tracewright collector: OTLP/HTTP over a Function URL" });
    this.queueFunction = new lambda.Function(this, "Queue", { ...common, handler: `${module}.sqsHandler`, description: "Tracewright collector: OTLP bodies from SQS" });

    this.url = this.httpFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.deadLetterQueue = new sqs.Queue(this, "DeadLetters", { retentionPeriod: cdk.Duration.days(14), encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
    this.queue = new sqs.Queue(this, "Spans", {
      // AWS's advice for Lambda event sources: at least six times the function's timeout.
      visibilityTimeout: cdk.Duration.seconds(timeout.toSeconds() * 6),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    this.queueFunction.addEventSource(new sources.SqsEventSource(this.queue, { batchSize: props.batchSize ?? 10, reportBatchItemFailures: true }));

    for (const fn of [this.httpFunction, this.queueFunction]) {
      // X-Ray has no resource-level permissions for PutTraceSegments: "*" is the narrowest there is.
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["xray:PutTraceSegments"], resources: ["*"] }));
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [this.logGroup.logGroupArn, cdk.Arn.format({ service: "logs", resource: "log-group", resourceName: `${logGroupName}:log-stream:*`, arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME }, cdk.Stack.of(this))],
        }),
      );
    }

    new cdk.CfnOutput(this, "Endpoint", { value: this.url.url, description: "OTEL_EXPORTER_OTLP_ENDPOINT (requests signed with SigV4, service lambda)" });
    new cdk.CfnOutput(this, "QueueUrl", { value: this.queue.queueUrl, description: "Send OTLP bodies here" });
  }
}
