import { createSinks, parseSinkNames, startCollector } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import type { Flags, Io } from "../main.js";
import { UsageError, intFlag } from "../main.js";

/** `tracewright collector`: the OTLP/HTTP receiver on the embedded store, until a signal. */
export async function collector(flags: Flags, io: Io): Promise<number> {
  // --sink store|xray|cloudwatch|langsmith, repeatable or comma-separated; else TRACEWRIGHT_SINKS
  // (as in Lambda); else the store. AWS sinks read the SDK's environment (AWS_REGION,
  // AWS_ENDPOINT_URL_XRAY, …) and TRACEWRIGHT_LOG_GROUP.
  const env = flags.sink === undefined ? process.env.TRACEWRIGHT_SINKS?.trim() : undefined;
  const fromEnv = env === undefined || env === "" ? undefined : env;
  let names;
  try {
    names = parseSinkNames(flags.sink ?? fromEnv ?? "store");
  } catch (error) {
    throw new UsageError(`${fromEnv === undefined ? "" : "TRACEWRIGHT_SINKS: "}${(error as Error).message}`);
  }
  const store = names.includes("store") ? openSqliteStore(flags.db === undefined ? {} : { path: flags.db }) : undefined;
  const handle = await startCollector({
    sinks: createSinks(names, store === undefined ? {} : { store }),
    host: flags.host ?? "127.0.0.1",
    port: intFlag(flags.port, "port", 4318),
    ...(flags.token === undefined ? {} : { token: flags.token }),
  });
  io.out(`Tracewright collector listening on ${handle.url} (OTLP/HTTP: ${handle.tracesUrl}), sinks ${names.join(", ")}${store === undefined ? "" : `, store ${store.path}`}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await handle.close();
  await store?.close();
  return 0;
}
