import { ErrorCode, FerryError } from '@ferry/shared';
import type { FastifyInstance } from 'fastify';

/**
 * While the app closes it still finishes requests in flight, but a new request arriving on a
 * kept-alive connection is refused with a retryable 503 in the API's error shape (Fastify's own
 * closing answer has another shape), and the connection is closed so the client reconnects to
 * another task.
 */
export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new FerryError(ErrorCode.UNAVAILABLE, 'the API is shutting down; retry', { status: 503 });
  });
}
