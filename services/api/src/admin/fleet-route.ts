import { readPublishedStatus } from '@ferry/autoscaler/published-status';
import { readPausedAccounts } from '@ferry/shared';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ImportQueue } from '../imports/context.ts';
import { type FleetView, renderFleetPage } from './render-fleet-page.ts';

/** The states `ferry queues` shows, in its order. */
const COUNTED_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;

/** No script, style or frame from anywhere: the page is inline CSS and links only. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

async function readFleet(queue: ImportQueue, redis: Redis): Promise<FleetView> {
  const [autoscaler, workers, counts, paused] = await Promise.all([
    readPublishedStatus(redis, queue.name),
    queue.getWorkers(),
    queue.getJobCounts(...COUNTED_STATES),
    readPausedAccounts(redis, queue.name),
  ]);
  return { queue: queue.name, readAt: new Date(), autoscaler, workers, counts, paused };
}

/** GET /admin/fleet: the autoscaler's last decision, the workers, the queue and the paused accounts. */
export async function fleetRoute(
  app: FastifyInstance,
  options: { queue: ImportQueue; redis: Redis },
): Promise<void> {
  app.get('/fleet', { schema: { hide: true } }, async (_request, reply) => {
    const page = renderFleetPage(await readFleet(options.queue, options.redis));
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(page);
  });
}
