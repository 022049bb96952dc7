/**
 * Whether this process exports traces, from the standard OpenTelemetry variables alone: an OTLP
 * endpoint is named (for all signals or for traces) and neither OTEL_SDK_DISABLED nor
 * OTEL_TRACES_EXPORTER=none turns it off. Without one there is nowhere to send spans, so the SDK is
 * not even loaded.
 */
export function tracingWanted(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
