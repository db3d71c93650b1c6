import { AsyncLocalStorage } from "node:async_hooks";
import net from "node:net";
import { ReplayNetworkError } from "./errors.js";

/**
 * Reproduce mode's promise that nothing goes live: inside a guarded replay, opening a TCP
 * connection (which every HTTP client, fetch included, does through net.Socket) or calling
 * fetch fails with a ReplayNetworkError. Scoped by async context, so other work in the same
 * process (a dashboard serving pages, another replay in verify-fix) is untouched.
 */
const guarded = new AsyncLocalStorage<boolean>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    if (guarded.getStore() === true) {
      const [first] = args;
      const target = typeof first === "object" && first !== null ? `${String((first as { host?: string }).host ?? (first as { path?: string }).path ?? "?")}:${String((first as { port?: number }).port ?? "")}` : String(first);
      throw new ReplayNetworkError(target);
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  const originalFetch = globalThis.fetch;
  if (typeof originalFetch === "function") {
    globalThis.fetch = function guardedFetch(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) {
      if (guarded.getStore() === true) {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        return Promise.reject(new ReplayNetworkError(url));
      }
      return originalFetch(input, init);
    } as typeof fetch;
  }
}

/** Runs `fn` with network access blocked for everything it starts. */
export function withoutNetwork<T>(fn: () => Promise<T>): Promise<T> {
  install();
  return guarded.run(true, fn);
}
