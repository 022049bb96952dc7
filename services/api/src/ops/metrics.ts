import type { UnfedImports } from '@ferry/shared';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DependencyCall } from '../dependency-call.ts';
import { loggableError } from '../http/errors.ts';
import type { ImportQueue } from '../imports/context.ts';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;
/** A scrape must not hang on Redis: Prometheus times out and records nothing at all. */
export const SCRAPE_TIMEOUT_MS = 2000;

/**
 * Prometheus metrics at /metrics, on a registry of the app's own (not prom-client's global one) so
 * several apps can live in one process: tests, and `ferry up`. Call before any route is registered,
 * so the response hook sees every route.
 */
export function installMetrics(
  app: FastifyInstance,
  queue: ImportQueue,
  unfed: UnfedImports,
  call: DependencyCall,
): Registry {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'ferry_api_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ferry_api_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'ferry_queue_jobs',
    help: 'Jobs in the import queue by state, read from BullMQ on each scrape; unfed: queued imports with no job yet',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await call('the job queue', () => queue.getJobCounts(...QUEUE_STATES));
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        const waiting = await call('the import store', () => unfed.waiting());
        this.set({ queue: queue.name, state: 'unfed' }, waiting.count);
      } catch (error) {
        // A scrape during a Redis outage still answers, with the last counts read.
        app.log.warn({ err: loggableError(error, false) }, 'could not read queue counts');
      }
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in URLs would make a label value per import.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}
