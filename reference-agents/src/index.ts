export { runSupervisor, MAX_ROUTING_DECISIONS, scriptedApprover, SUPERVISOR_GOAL } from "./supervisor/agent.js";
export type { AgentRunOptions, Approver, SupervisorOptions } from "./supervisor/agent.js";
export { APPROVAL_QUESTION } from "./supervisor/workers.js";
export type { SupervisorDeps } from "./supervisor/workers.js";
export { fileSessionStore, memorySessionStore, sqliteSessionStore } from "./state/store.js";
export type { SessionStore } from "./state/store.js";
export { dynamoDbSessionStore, s3SessionStore } from "./state/aws.js";
export type { DynamoDbSessionStoreOptions, S3SessionStoreOptions } from "./state/aws.js";
export { DEFAULT_SESSION_STORE, openSessionStore, SESSION_STORE_ENV } from "./state/open.js";
export { BEDROCK_PROVIDER, bedrockModel } from "./model/bedrock.js";
export type { BedrockModelOptions } from "./model/bedrock.js";
export { AGENT_MODEL_ENV, resolveModel } from "./model/resolve.js";
export { supervisorScript } from "./supervisor/script.js";
export { WORKERS } from "./supervisor/types.js";
export type {
  ApprovalAnswer,
  ApprovalRequest,
  CostStats,
  Finding,
  FunctionCost,
  Plan,
  PlanStep,
  Route,
  RouteDecision,
  SupervisorInput,
  SupervisorReport,
  SupervisorSession,
  SupervisorState,
  SessionStatus,
  Worker,
} from "./supervisor/types.js";
export { AGENTS, findScenario, FIXES, runScenario, scenarios } from "./scenarios.js";
export type { AgentName, Scenario, ScenarioRunOptions } from "./scenarios.js";
export { FAULT_DESCRIPTIONS, FAULT_NAMES, FAULTY_DOCUMENT, isFaultName, parseFault, withModelFaults, withToolFaults } from "./faults.js";
export type { FaultName } from "./faults.js";
export { callModel, callTool, DEFAULT_RETRY, isThrottling } from "./calls.js";
export type { RetryPolicy, ToolDeadline } from "./calls.js";
export { countTokens, createScriptedModel, lastUserText, SCRIPTED_PROVIDER, simulatedLatencyMs, systemText } from "./model/scripted.js";
export type { ScriptedModelOptions, ScriptedReply, ScriptRule } from "./model/scripted.js";
export { replyText } from "./model/types.js";
export type { ChatModel, ConverseRequest, ConverseResponse, Message, Role, StopReason, TextBlock, TokenUsage } from "./model/types.js";
export { createToolbox, ToolName } from "./tools/toolbox.js";
export type { ToolCallOptions, Toolbox } from "./tools/toolbox.js";
export type { CorpusDocument, FetchDocumentArgs, SearchHit, WebSearchArgs, WebSearchResult } from "./tools/corpus.js";
export type { ComputeStatsArgs, StatsGroup, StatsResult } from "./tools/stats.js";
export {
  ModelOutputError,
  PlanRejectedError,
  ReferenceAgentError,
  RoutingError,
  ScriptError,
  SessionStoreError,
  ThrottlingException,
  ToolInputError,
  ToolTimeoutError,
  UnknownNameError,
  UpstreamError,
} from "./errors.js";
export { replayEntryPoints } from "./replay.js";
export type { ReferenceEntryPoint } from "./replay.js";
export { CHOREOGRAPHY_GOAL, choreographyScript, DeadLetterError, PoisonMessageError, RULES, runChoreography } from "./choreography/agents.js";
export type { ChoreographyFault, ChoreographyInput, ChoreographyOptions, ChoreographyReport } from "./choreography/agents.js";
export { BusError, InProcessBus, ruleMatches } from "./choreography/bus.js";
export { AwsBus } from "./choreography/aws-bus.js";
export type { AwsBusOptions } from "./choreography/aws-bus.js";
export type { BusEvent, MessageBus, QueueSettings, ReceivedMessage, Rule } from "./choreography/bus.js";
