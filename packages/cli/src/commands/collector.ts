import { startCollector } from "@tracewright/collector-lambda";
import { openSqliteStore } from "@tracewright/store";
import type { Flags, Io } from "../main.js";
import { UsageError, intFlag } from "../main.js";

/** `tracewright collector`: the OTLP/HTTP receiver on the embedded store, until a signal. */
export async function collector(flags: Flags, io: Io): Promise<number> {
  const sinks = flags.sink ?? ["store"];
  const unknown = sinks.filter((s) => s !== "store");
  if (unknown.length > 0) throw new UsageError(`unknown --sink ${unknown.join(", ")}: this build ships the "store" sink`);
  const store = openSqliteStore(flags.db === undefined ? {} : { path: flags.db });
  const handle = await startCollector({
    store,
    host: flags.host ?? "127.0.0.1",
    port: intFlag(flags.port, "port", 4318),
    ...(flags.token === undefined ? {} : { token: flags.token }),
  });
  io.out(`Tracewright collector listening on ${handle.url} (OTLP/HTTP: ${handle.tracesUrl}), store ${store.path}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await handle.close();
  await store.close();
  return 0;
}
