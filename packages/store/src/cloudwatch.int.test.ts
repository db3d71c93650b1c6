import { FAKE_AWS } from "../../collector-lambda/src/fakes/aws.fixtures.js";
import { startFakeLogs } from "../../collector-lambda/src/fakes/logs.fixtures.js";
import { CloudWatchLogsStore } from "./cloudwatch.js";
import { describeQueryContract } from "./store.contract.js";

// The dashboard's queries over CloudWatch Logs, through the real SDK client against the local
// endpoint: the same contract as the embedded store, text search excepted (refused, not ignored).
describeQueryContract(
  "CloudWatch Logs (local endpoint)",
  async () => {
    const logs = await startFakeLogs();
    const store = new CloudWatchLogsStore({ clientConfig: { endpoint: logs.url, ...FAKE_AWS }, logGroupName: "/tracewright/queries", pollIntervalMs: 1 });
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      await logs.close();
    };
    return store;
  },
  { textSearch: false },
);
