import { publicImportView } from '@ferry/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ImportsContext } from './context.ts';
import { findOwnImport } from './find-own-import.ts';
import { errorResponses, ImportIdParams, ImportPage, ImportView, ListQuery, SECURED } from './schemas.ts';

export const readRoutes: FastifyPluginAsyncZod<{ ctx: ImportsContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/imports/:id',
    {
      schema: {
        summary: 'Status, progress and outcome of one import',
        tags: ['imports'],
        security: SECURED,
        params: ImportIdParams,
        response: { 200: ImportView, ...errorResponses(401, 404, 503) },
      },
    },
    async (request) => publicImportView(await findOwnImport(ctx, request.tenant, request.params.id)),
  );

  app.get(
    '/v1/imports',
    {
      schema: {
        summary: "The tenant's imports, newest first",
        tags: ['imports'],
        security: SECURED,
        querystring: ListQuery,
        response: { 200: ImportPage, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      const page = await ctx.call('the import store', () =>
        ctx.store.list(request.tenant, {
          limit,
          ...(status ? { status } : {}),
          ...(cursor ? { cursor } : {}),
        }),
      );
      return { items: page.items.map(publicImportView), nextCursor: page.nextCursor };
    },
  );
};
