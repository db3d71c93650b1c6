import { describe, expect, it } from "vitest";
import cdk from "aws-cdk-lib";
import assertions from "aws-cdk-lib/assertions";
import lambda from "aws-cdk-lib/aws-lambda";
import { TracewrightCollector } from "./cdk.js";
import type { TracewrightCollectorProps } from "./cdk.js";

const { Match, Template } = assertions;

function synth(props: Partial<TracewrightCollectorProps> = {}) {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, "Collector", { env: { account: "123456789012", region: "us-east-1" } });
  const collector = new TracewrightCollector(stack, "Tracewright", { code: lambda.Code.fromInline("exports.httpHandler = exports.sqsHandler = async () => ({});"), ...props });
  return { template: Template.fromStack(stack), collector };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

describe("TracewrightCollector (CDK)", () => {
  it("synthesizes two functions with the sinks and log group in their environment", () => {
    const { template } = synth({ sinks: ["xray", "cloudwatch", "langsmith"], logGroupName: "/acme/traces" });
    template.resourceCountIs("AWS::Lambda::Function", 2);
    for (const handler of ["index.httpHandler", "index.sqsHandler"]) {
      template.hasResourceProperties("AWS::Lambda::Function", {
        Handler: handler,
        Runtime: "nodejs24.x",
        Environment: { Variables: Match.objectLike({ TRACEWRIGHT_SINKS: "xray,cloudwatch,langsmith", TRACEWRIGHT_LOG_GROUP: "/acme/traces" }) },
      });
    }
  });

  it("puts the HTTP function behind a Function URL with IAM auth", () => {
    const { template } = synth();
    template.resourceCountIs("AWS::Lambda::Url", 1);
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "AWS_IAM" });
  });

  it("feeds the SQS function from a queue with a DLQ and ReportBatchItemFailures", () => {
    const { template } = synth({ maxReceiveCount: 3, batchSize: 8, timeout: cdk.Duration.seconds(20) });
    template.resourceCountIs("AWS::SQS::Queue", 2);
    template.hasResourceProperties("AWS::SQS::Queue", { VisibilityTimeout: 120, RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 } });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { BatchSize: 8, FunctionResponseTypes: ["ReportBatchItemFailures"] });
  });

  it("creates the traces log group with a retention, kept when the stack goes", () => {
    const { template } = synth();
    template.hasResource("AWS::Logs::LogGroup", { Properties: { LogGroupName: "/tracewright/spans", RetentionInDays: 30 }, DeletionPolicy: "Retain" });
  });

  it("grants only xray:PutTraceSegments and logs:CreateLogStream/PutLogEvents on its own group", () => {
    const { template } = synth();
    const policies = template.findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
    const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const all = statements.flatMap(actions);
    expect(all.filter((a) => a.startsWith("xray:") || a.startsWith("logs:")).sort()).toEqual(["logs:CreateLogStream", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTraceSegments"]);
    expect(all.some((a) => a.endsWith("*"))).toBe(false);
    for (const s of statements.filter((x) => actions(x).includes("logs:PutLogEvents"))) {
      expect(JSON.stringify(s.Resource)).toContain("/tracewright/spans:log-stream:*");
      expect(JSON.stringify(s.Resource)).not.toContain('"*"');
    }
    for (const s of statements.filter((x) => actions(x).includes("xray:PutTraceSegments"))) expect(s.Resource).toBe("*");
  });

  it("refuses aws/spans as the log group", () => {
    expect(() => synth({ logGroupName: "aws/spans" })).toThrow(/reserved/);
  });
});
