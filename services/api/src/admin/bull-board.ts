import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ImportQueue } from '../imports/context.ts';

/**
 * Bull Board for the API's queue, read-only: its retry, clean, promote, add and delete endpoints
 * answer an error, so the dashboard can show every job but change none.
 */
export async function bullBoard(
  app: FastifyInstance,
  options: { queue: ImportQueue; basePath: string },
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: [new BullMQAdapter(options.queue, { readOnlyMode: true })],
    serverAdapter,
  });
  await app.register(serverAdapter.registerPlugin());
}
