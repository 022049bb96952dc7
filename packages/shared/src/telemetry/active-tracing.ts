import type { Telemetry } from 'bullmq';

/** Set once the SDK has started in this process (node-sdk.ts); until then nothing traces. */
let queueTelemetry: Telemetry | undefined;

/**
 * Whether spans are being recorded in this process. Code on the import path asks before it makes a
 * span, so with tracing off it allocates nothing, not even the API's no-op spans.
 */
export function tracingActive(): boolean {
  return queueTelemetry !== undefined;
}

/**
 * BullMQ's `telemetry` option for the Queue and Worker this process makes: bullmq-otel while tracing,
 * which carries the submit's trace context in each job's options to the worker that runs it.
 * Undefined otherwise, so BullMQ's own tracing code is skipped entirely.
 */
export function bullmqTelemetry(): Telemetry | undefined {
  return queueTelemetry;
}

export function markTracingStarted(telemetry: Telemetry): void {
  queueTelemetry = telemetry;
}
