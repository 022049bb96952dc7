// Loaded only when tracing is wanted (start-telemetry.ts imports it dynamically): the SDK, the
// exporters and the instrumentations cost nothing in a process that does not trace.
import type { IncomingMessage, RequestOptions } from 'node:http';
import { isIPv6 } from 'node:net';
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { BullMQOtel } from 'bullmq-otel';
import { register as registerImportHooks } from 'import-in-the-middle/register-hooks.mjs';
import { markTracingStarted } from './active-tracing.ts';
import { redactPath, redactUrl } from './redact-url.ts';

export interface SdkOptions {
  /** service.name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
  defaultServiceName: string;
  /** Fastify request spans (the API). */
  fastify: boolean;
  env: Record<string, string | undefined>;
}

/**
 * Probes and scrapes arrive every few seconds from load balancers and Prometheus: a trace each would
 * bury the imports' traces.
 */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The modules patched when they are imported; the rest of the graph loads untouched. */
const PATCHED_MODULES = ['ioredis', 'http', 'https', 'node:http', 'node:https'];

/**
 * Starts the OpenTelemetry Node SDK for traces, configured by the standard OTEL_* variables
 * (endpoint, protocol incl. http/json, sampler, batch delays, propagators). Must run before the
 * service's modules load: ioredis and node:http are patched as they are imported. Metrics stay with
 * Prometheus and logs with pino, so neither signal is exported here.
 */
export async function startSdk(options: SdkOptions): Promise<{ shutdown(): Promise<void> }> {
  // ESM imports bypass require(), so the patching instrumentations need the loader hook; limited
  // to the modules they patch, so the services' TypeScript sources are not rewrapped.
  registerImportHooks({ include: PATCHED_MODULES });
  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) =>
        UNTRACED_PATHS.has(redactPath(request.url ?? '/')),
      // The spans' URL attributes without query or userinfo, replacing the instrumentation's own.
      startOutgoingSpanHook: (request: RequestOptions) => ({
        'url.full': redactUrl(outgoingUrl(request)),
      }),
      startIncomingSpanHook: (request: IncomingMessage) => ({
        'url.path': redactPath(request.url ?? '/'),
        'url.query': '',
      }),
      // Header values are never recorded either: no headersToSpanAttributes, here or below.
    }),
    new UndiciInstrumentation({
      startSpanHook: (request) => ({
        'url.full': redactUrl(new URL(request.path, request.origin)),
        'url.path': redactPath(request.path),
        'url.query': '',
      }),
    }),
    new IORedisInstrumentation({
      // Command arguments hold job data, sealed secrets and record fields: the name alone.
      dbStatementSerializer: (command) => command,
    }),
  ];
  if (options.fastify) {
    const { FastifyOtelInstrumentation } = await import('@fastify/otel');
    instrumentations.push(
      new FastifyOtelInstrumentation({
        // Every Fastify instance is instrumented as it is created (a diagnostics channel), no patching.
        registerOnInitialization: true,
        ignorePaths: (route: { url: string }) => UNTRACED_PATHS.has(route.url),
        // An exception's message is the thrower's text; spans keep error.type and the status code.
        recordExceptions: false,
        // @fastify/otel records the raw request target; the query goes.
        requestHook: (span: Span, request: { url: string }) =>
          span.setAttribute('url.path', redactPath(request.url)),
        // Built on an older @opentelemetry/instrumentation than the SDK's; the interface is the same.
      }) as unknown as Instrumentation,
    );
  }
  const namedByEnv =
    Boolean(options.env.OTEL_SERVICE_NAME?.trim()) ||
    /(^|,)\s*service\.name\s*=/.test(options.env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  const sdk = startNodeSdk({
    instrumentations,
    metricReaders: [],
    logRecordProcessors: [],
    ...(namedByEnv ? {} : { resourceAttributes: { 'service.name': options.defaultServiceName } }),
  });
  // bullmq-otel 2 is BullMQ 6's (its peer range starts at 6.0.0; the repository has 6.7).
  markTracingStarted(new BullMQOtel({ tracerName: 'ferry-bullmq' }));
  return sdk;
}

/** The URL an outgoing request goes to, from its options (the instrumentation's input). */
function outgoingUrl(request: RequestOptions): string {
  const protocol = request.protocol ?? 'http:';
  const host = request.hostname ?? request.host?.replace(/:\d+$/, '') ?? 'localhost';
  const port = request.port ? `:${request.port}` : '';
  return `${protocol}//${isIPv6(host) ? `[${host}]` : host}${port}${request.path ?? '/'}`;
}
