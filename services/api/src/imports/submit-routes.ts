import {
  ErrorCode,
  FerryError,
  type ImportRecord,
  ImportRequest,
  isFerryError,
  newImportId,
  type ResolveAll,
  sealRequest,
  stableStringify,
  tracingActive,
} from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { dependencyCall } from '../dependency-call.ts';
import { loggableError } from '../http/errors.ts';
import { parseWith } from '../http/validation.ts';
import { checkNotifyTarget, effectiveNotifyTarget } from '../notify/notify-check.ts';
import { CoalescedSubmits } from './coalesced-submits.ts';
import type { ImportsContext } from './context.ts';
import { createImports } from './create-imports.ts';
import { Accepted, BatchBody, BatchResults, errorResponses, SECURED, SubmitHeaders } from './schemas.ts';
import { batchResolver, checkSource } from './source-check.ts';

type CheckedItem = { index: number; request: ImportRequest } | { index: number; error: FerryError };

type BatchResult =
  | { index: number; id: string; status: 'queued' }
  | { index: number; error: ReturnType<FerryError['toJSON']>['error'] };

export const submitRoutes: FastifyPluginAsyncZod<{ ctx: ImportsContext }> = async (app, { ctx }) => {
  const { store } = ctx;
  const coalesced = new CoalescedSubmits((records) => createImports(ctx, records, app.log));
  // While tracing, each submit writes its own: its job carries its own request's trace context.
  const write = (record: ImportRecord, log: FastifyBaseLogger) =>
    tracingActive() ? createImports(ctx, [record], log) : coalesced.submit(record);

  app.post(
    '/v1/imports',
    {
      schema: {
        summary: 'Submit an import',
        tags: ['imports'],
        security: SECURED,
        headers: SubmitHeaders,
        body: ImportRequest,
        response: {
          200: Accepted.describe(
            'An earlier request with the same Idempotency-Key and body created this import',
          ),
          202: Accepted.describe('Queued'),
          ...errorResponses(400, 401, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const { tenant, body } = request;
      await checkRequest(ctx, body, ctx.resolveAll);
      const id = newImportId();
      const idempotencyKey = request.headers['idempotency-key'];

      if (idempotencyKey !== undefined) {
        const claim = await ctx.call('the import store', () =>
          store.claimIdempotencyKey(
            tenant,
            idempotencyKey,
            id,
            ctx.secrets.fingerprint(stableStringify(body)),
          ),
        );
        if (!claim.fresh) {
          if (!claim.sameBody) {
            throw new FerryError(
              ErrorCode.IDEMPOTENCY_CONFLICT,
              'this Idempotency-Key was already used with a different request body',
              { status: 409 },
            );
          }
          const status = await ctx.call('the import store', () => store.status(claim.importId));
          if (status === null) {
            // The first request holds the key but has not written its import yet (or failed and is
            // releasing the key): the client should retry shortly.
            throw new FerryError(
              ErrorCode.IDEMPOTENCY_CONFLICT,
              'a request with this Idempotency-Key is still being processed; retry shortly',
              { status: 409 },
            );
          }
          return reply.code(200).send({ id: claim.importId, status });
        }
      }

      try {
        const record = store.newRecord(
          id,
          tenant,
          sealRequest(withNotifyDefault(ctx, tenant, body), ctx.secrets),
        );
        await write(record, request.log);
      } catch (error) {
        if (idempotencyKey !== undefined) {
          // Free the key so the client's retry creates the import instead of finding nothing.
          await dependencyCall('the import store', () =>
            store.releaseIdempotencyKey(tenant, idempotencyKey),
          ).catch((cleanup: unknown) => {
            request.log.error({ err: loggableError(cleanup, false) }, 'could not release an idempotency key');
          });
        }
        throw error;
      }
      return reply.code(202).send({ id, status: 'queued' as const });
    },
  );

  app.post(
    '/v1/imports/batch',
    {
      schema: {
        summary: 'Submit up to 1000 imports at once',
        description:
          'Each item is validated and checked on its own. The answer is 200 whenever the batch itself is ' +
          'well formed, with one result per item in order: either the queued import or the error that ' +
          'refused that item. Accepted items are written and queued together. The whole body is limited ' +
          'to 1 MiB like any other. Idempotency-Key is not supported here.',
        tags: ['imports'],
        security: SECURED,
        body: BatchBody,
        response: { 200: BatchResults, ...errorResponses(400, 401, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { tenant } = request;
      if (request.headers['idempotency-key'] !== undefined) {
        // Ignoring it would let a client believe its retries are safe.
        throw new FerryError(ErrorCode.VALIDATION_FAILED, 'idempotency-key: not supported on batch submits', {
          status: 400,
          details: [{ field: 'idempotency-key', message: 'not supported on batch submits' }],
        });
      }
      const resolveAll = batchResolver(ctx.resolveAll);
      const results: BatchResult[] = [];
      const accepted: ImportRecord[] = [];

      const checked = await Promise.all(
        request.body.imports.map(async (item, index): Promise<CheckedItem> => {
          const parsed = parseWith(ImportRequest, item);
          if (!parsed.ok) return { index, error: parsed.error };
          try {
            await checkRequest(ctx, parsed.value, resolveAll);
          } catch (error) {
            if (!isFerryError(error)) throw error;
            return { index, error };
          }
          return { index, request: parsed.value };
        }),
      );
      for (const item of checked) {
        if ('request' in item) {
          const stored = sealRequest(withNotifyDefault(ctx, tenant, item.request), ctx.secrets);
          const record = store.newRecord(newImportId(), tenant, stored);
          accepted.push(record);
          results.push({ index: item.index, id: record.id, status: 'queued' });
        } else {
          results.push({ index: item.index, error: item.error.toJSON().error });
        }
      }

      if (accepted.length > 0) await createImports(ctx, accepted, request.log);
      return reply.code(200).send({ results });
    },
  );
};

/** The SSRF checks of what workers will connect to: the source, and the callback URL the client gave. */
async function checkRequest(
  ctx: ImportsContext,
  request: ImportRequest,
  resolveAll: ResolveAll,
): Promise<void> {
  await checkSource(request.source, ctx.allowPrivateSources, resolveAll);
  // A tenant's default is operator configuration, checked at start-up (and by the guard on delivery).
  if (request.notify) await checkNotifyTarget(request.notify, ctx.allowPrivateSources, resolveAll);
}

/** The request as stored: with the tenant's default notify target when it names none. */
function withNotifyDefault(ctx: ImportsContext, tenant: string, request: ImportRequest): ImportRequest {
  const notify = effectiveNotifyTarget(request.notify, ctx.notifyDefaults.get(tenant));
  return notify ? { ...request, notify } : request;
}
