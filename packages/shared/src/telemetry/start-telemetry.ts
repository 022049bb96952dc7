import { tracingWanted } from './tracing-wanted.ts';

export type TracedService = 'api' | 'worker' | 'autoscaler';

export interface Telemetry {
  /** Whether this process exports spans. */
  readonly tracing: boolean;
  /** Exports the spans still buffered and stops the SDK; part of the service's graceful stop. */
  shutdown(): Promise<void>;
}

/** Bounds the final export: an unreachable collector must not hold up a drain. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/**
 * Starts tracing for one service process, from the standard OTEL_* variables only; call it first,
 * before the service's modules are imported. Without an OTLP endpoint, or with OTEL_SDK_DISABLED=true,
 * the SDK is not even loaded and every span in Ferry's code is skipped. The service name defaults to
 * `ferry-<service>`; OTEL_SERVICE_NAME overrides it.
 */
export async function startTelemetry(
  service: TracedService,
  env: Record<string, string | undefined> = process.env,
): Promise<Telemetry> {
  if (!tracingWanted(env)) return { tracing: false, shutdown: async () => {} };
  const { startSdk } = await import('./node-sdk.ts');
  const sdk = await startSdk({ defaultServiceName: `ferry-${service}`, fastify: service === 'api', env });
  let stopped: Promise<void> | null = null;
  return {
    tracing: true,
    shutdown: () => {
      stopped ??= withTimeout(sdk.shutdown(), SHUTDOWN_TIMEOUT_MS);
      return stopped;
    },
  };
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
