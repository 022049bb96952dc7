import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { answerNotFound } from '../http/errors.ts';
import type { ImportQueue } from '../imports/context.ts';
import { bullBoard } from './bull-board.ts';
import { fleetRoute } from './fleet-route.ts';
import { operatorAuth } from './operator-auth.ts';

export const ADMIN_PREFIX = '/admin';

export interface AdminOptions {
  adminKeys: readonly string[];
  queue: ImportQueue;
  redis: Redis;
}

/** Everything under /admin, each request (unknown paths included) checked for an operator key. */
export async function adminRoutes(admin: FastifyInstance, options: AdminOptions): Promise<void> {
  admin.addHook('onRequest', operatorAuth(options.adminKeys));
  // Without its own not-found handler, a miss under /admin would skip the hook above.
  admin.setNotFoundHandler(answerNotFound);
  await admin.register(bullBoard, {
    queue: options.queue,
    basePath: `${ADMIN_PREFIX}/queues`,
    prefix: '/queues',
  });
  await admin.register(fleetRoute, { queue: options.queue, redis: options.redis });
}
