import { describe, expect, it } from "vitest";
import { isLoopback } from "./server.js";

describe("isLoopback", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"])("treats %s as loopback", (host) => {
    expect(isLoopback(host)).toBe(true);
  });

  it.each(["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "::ffff:10.0.0.1", "collector.internal", "128.0.0.1"])("treats %s as reachable from elsewhere", (host) => {
    expect(isLoopback(host)).toBe(false);
  });
});
