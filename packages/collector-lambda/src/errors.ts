/** The collector's named errors (STYLE.md §7), under the shared `TracewrightError`. */
import { TracewrightError } from "@tracewright/instrument/errors";

export { TracewrightError };

/**
 * An OTLP request body that cannot be decoded at all: not JSON, not a JSON object, or a
 * protobuf message whose framing is broken. (A malformed span inside a well-formed body is not
 * an error: it is rejected alone and reported through `partialSuccess`.)
 */
export class OtlpDecodeError extends TracewrightError {
  /** For protobuf bodies, the byte offset at which decoding failed. */
  readonly offset: number | undefined;

  constructor(message: string, options?: { offset?: number; cause?: unknown }) {
    super("OTLP_DECODE_FAILED", message, options);
    this.offset = options?.offset;
  }
}

/** The collector was given options it cannot run with (e.g. a public bind without a token). */
export class CollectorConfigError extends TracewrightError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("COLLECTOR_CONFIG_INVALID", message, options);
  }
}

/** A sink failed to take a batch; carries the sink's name and the underlying cause. */
export class SinkError extends TracewrightError {
  readonly sink: string;

  constructor(sink: string, message: string, options?: { cause?: unknown }) {
    super("SINK_WRITE_FAILED", message, options);
    this.sink = sink;
  }
}
