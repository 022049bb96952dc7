import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { dependencyCaller } from '../dependency-call.ts';
import { ErrorBody } from '../imports/schemas.ts';

const READY_TIMEOUT_MS = 1000;
const Ok = z.object({ status: z.literal('ok') });

/**
 * Liveness never touches Redis: a Redis outage must not get healthy API tasks killed and replaced.
 * Readiness does, so a load balancer stops routing to a task that cannot reach it.
 */
export const healthRoutes: FastifyPluginAsyncZod<{ redis: Redis }> = async (app, { redis }) => {
  const call = dependencyCaller(redis, READY_TIMEOUT_MS);
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness', tags: ['operations'], response: { 200: Ok } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis answers PING',
        tags: ['operations'],
        response: { 200: Ok, 503: ErrorBody },
      },
    },
    async () => {
      await call('Redis', () => redis.ping());
      return { status: 'ok' as const };
    },
  );
};
