import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancelImport } from './cancel-import.ts';
import type { ImportsContext } from './context.ts';
import { errorResponses, ImportIdParams, SECURED } from './schemas.ts';

const Canceled = z.object({ id: z.string(), status: z.literal('canceled') });

export const cancelRoute: FastifyPluginAsyncZod<{ ctx: ImportsContext }> = async (app, { ctx }) => {
  app.delete(
    '/v1/imports/:id',
    {
      schema: {
        summary: 'Cancel an import',
        description:
          'A queued import is removed from the queue; a running one is stopped by its worker within ' +
          'seconds, and its multipart upload aborted.',
        tags: ['imports'],
        security: SECURED,
        params: ImportIdParams,
        response: {
          200: Canceled.describe('Already canceled'),
          202: Canceled.describe('Canceled'),
          ...errorResponses(401, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const outcome = await cancelImport(ctx, request.tenant, request.params.id, request.log);
      return reply.code(outcome.httpStatus).send({ id: outcome.id, status: 'canceled' as const });
    },
  );
};
