import { randomBytes } from "node:crypto";
import { expect } from "@playwright/test";

/**
 * Spans sent the way any instrumentation sends them: OTLP/HTTP JSON to the shared collector that
 * `npm start` (the config's webServer) runs on E2E_COLLECTOR_PORT.
 */
export const COLLECTOR = `http://127.0.0.1:${process.env.E2E_COLLECTOR_PORT ?? 14318}/v1/traces`;

export type Attr = { key: string; value: { stringValue: string } | { intValue: number } };
export const str = (key: string, value: string): Attr => ({ key, value: { stringValue: value } });
export const hex = (bytes: number): string => randomBytes(bytes).toString("hex");

/** Posts spans and expects every one of them accepted. */
export async function post(spans: unknown[], serviceName = "e2e-xss"): Promise<void> {
  const response = await fetch(COLLECTOR, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [str("service.name", serviceName)] }, scopeSpans: [{ scope: { name: "e2e" }, spans }] }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { partialSuccess?: { rejectedSpans?: number | string } };
  expect(Number(body.partialSuccess?.rejectedSpans ?? 0)).toBe(0);
}
