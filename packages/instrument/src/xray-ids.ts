/**
 * X-Ray-compatible ids for the OpenTelemetry SDK: a trace id whose first 8 hex digits are the
 * current epoch seconds (X-Ray's `1-<time>-<random>` form, which X-Ray checks: a trace id more
 * than 30 days old is refused), followed by 24 random hex digits; span ids are 16 random hex
 * digits. The same scheme as `@opentelemetry/id-generator-aws-xray`, without the dependency.
 *
 * ```ts
 * init({ idGenerator: new XRayIdGenerator() });
 * ```
 */
import { randomBytes } from "node:crypto";
import type { IdGenerator } from "@opentelemetry/sdk-trace-base";

/** The real function, whatever a deterministic run routes (steps.ts): span ids are no step of the agent's. */
const realRandomBytes = randomBytes;

export class XRayIdGenerator implements IdGenerator {
  private readonly now: () => number;

  /** `now` (ms since the epoch) is for tests; default Date.now. */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  generateTraceId(): string {
    const seconds = Math.floor(this.now() / 1000).toString(16).padStart(8, "0").slice(-8);
    return seconds + nonZeroHex(12);
  }

  generateSpanId(): string {
    return nonZeroHex(8);
  }
}

/** `bytes` random bytes as hex, never all zeros (an invalid id in OpenTelemetry). */
function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = realRandomBytes(bytes).toString("hex");
    if (!/^0+$/.test(hex)) return hex;
  }
}
