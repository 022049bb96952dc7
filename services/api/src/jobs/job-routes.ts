import { Readable } from 'node:stream';
import { ErrorCode, FerryError, publicJobView, stableStringify } from '@ferry/shared';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { zodValidatorCompiler } from '../http/validation.ts';
import { errorResponses, SECURED } from '../imports/schemas.ts';
import { cancelJob, findOwnJob } from './cancel-job.ts';
import { createJob, inlineRows, type JobOptions, type ManifestInput } from './create-job.ts';
import type { JobIdempotency } from './job-idempotency.ts';
import { openReport } from './job-report.ts';
import {
  JobAccepted,
  JobHeaders,
  JobIdParams,
  JobListQuery,
  JobPage,
  JobRequest,
  JobView,
  UPLOAD_FORMATS,
  UploadQuery,
} from './job-schemas.ts';
import type { JobsContext } from './jobs-context.ts';

/**
 * The body of an upload is the request stream itself, read once by the ingest; the JSON body alone
 * is validated against the schema.
 */
const passUploads: FastifySchemaCompiler<unknown> = (route) => {
  const validate = zodValidatorCompiler({ ...route, schema: route.schema as z.ZodType });
  if (route.httpPart !== 'body') return validate;
  return (data) => (data instanceof Readable ? { value: data } : validate(data));
};

export const jobRoutes: FastifyPluginAsyncZod<{ ctx: JobsContext }> = async (app, { ctx }) => {
  // Only in this plugin: everywhere else JSON is the only body the API reads.
  app.addContentTypeParser(Object.keys(UPLOAD_FORMATS), (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/jobs',
    {
      schema: {
        summary: 'Start a transfer job from a manifest',
        description:
          'The manifest is inline (JSON body, manifest.rows), an S3 object the API reads (manifest.s3 and ' +
          'format), or the request body itself: Content-Type application/x-ndjson (one { source, destination, ' +
          'overwrite? } per line), text/csv or text/tab-separated-values (a header naming url, and bucket and ' +
          'key unless the query gives bucket and keyTemplate; optional columns overwrite, size, md5, sha256, ' +
          'crc32c; or a GCS TsvHttpData-1.0 URL list), with the options in the query. An uploaded or inline ' +
          'manifest is checked row by row as it streams: the first bad row answers 400 naming its number.',
        tags: ['jobs'],
        security: SECURED,
        consumes: ['application/json', ...Object.keys(UPLOAD_FORMATS)],
        headers: JobHeaders,
        querystring: UploadQuery,
        body: JobRequest,
        response: {
          200: JobAccepted.describe(
            'An earlier request with the same Idempotency-Key and request created this job',
          ),
          202: JobAccepted.describe('Started'),
          ...errorResponses(400, 401, 409, 413, 415, 503),
        },
      },
      validatorCompiler: passUploads,
    },
    async (request, reply) => {
      const body = request.body as JobRequest | Readable;
      const { query } = request;
      const idempotencyKey = request.headers['idempotency-key'];
      let input: ManifestInput;
      let options: JobOptions;
      let idempotency: JobIdempotency | undefined;
      if (body instanceof Readable) {
        const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        const format = UPLOAD_FORMATS[mediaType as keyof typeof UPLOAD_FORMATS];
        input = { kind: 'stream', format, body };
        options = {
          keyTemplate: query.keyTemplate ?? null,
          bucket: query.bucket ?? null,
          overwrite: query.overwrite,
          notify: query.notifyUrl ? { url: query.notifyUrl } : undefined,
        };
        if (idempotencyKey !== undefined) {
          idempotency = {
            key: idempotencyKey,
            fingerprint: (manifestSha256) =>
              ctx.secrets.fingerprint(stableStringify({ upload: format, query, manifestSha256 })),
          };
        }
      } else {
        const given = Object.keys(query);
        if (given.length > 0) {
          const field = given[0] as string;
          throw new FerryError(
            ErrorCode.VALIDATION_FAILED,
            `${field}: goes in the JSON body with a JSON manifest`,
            {
              status: 400,
              details: [{ field, message: 'goes in the JSON body with a JSON manifest' }],
            },
          );
        }
        const { manifest } = body;
        input = manifest.s3
          ? {
              kind: 's3',
              format: manifest.format ?? 'ndjson',
              bucket: manifest.s3.bucket,
              key: manifest.s3.key,
            }
          : { kind: 'stream', format: 'ndjson', body: inlineRows(manifest.rows ?? []) };
        options = {
          keyTemplate: body.keyTemplate ?? null,
          bucket: body.bucket ?? null,
          overwrite: body.overwrite,
          notify: body.notify,
        };
        if (idempotencyKey !== undefined) {
          idempotency = {
            key: idempotencyKey,
            fingerprint: () => ctx.secrets.fingerprint(stableStringify(body)),
          };
        }
      }
      const job = await createJob(ctx, request.tenant, input, options, request.log, idempotency);
      return reply.code(job.created ? 202 : 200).send({ id: job.id, status: job.status });
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'Status, aggregate progress and report of one job',
        tags: ['jobs'],
        security: SECURED,
        params: JobIdParams,
        response: { 200: JobView, ...errorResponses(401, 404, 503) },
      },
    },
    async (request) => publicJobView(await findOwnJob(ctx, request.tenant, request.params.id)),
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: "The tenant's jobs, newest first",
        tags: ['jobs'],
        security: SECURED,
        querystring: JobListQuery,
        response: { 200: JobPage, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const page = await ctx.call('the job store', () =>
        ctx.jobs.list(request.tenant, { limit, ...(cursor ? { cursor } : {}) }),
      );
      return { items: page.items.map(publicJobView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/jobs/:id/report',
    {
      schema: {
        summary: "The job's per-row report (CSV), once written",
        description:
          'row,source,destination,size,checksum,outcome,error_code: one line per manifest row, in order; ' +
          'outcome done, failed or skipped. Streamed from S3.',
        tags: ['jobs'],
        security: SECURED,
        params: JobIdParams,
        produces: ['text/csv'],
        response: { 200: z.string().describe('The report'), ...errorResponses(401, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const job = await findOwnJob(ctx, request.tenant, request.params.id);
      if (!job.reportWritten) {
        throw new FerryError(
          ErrorCode.JOB_NOT_FINISHED,
          `job ${job.id} has no report yet: it is ${job.status}`,
          {
            status: 409,
          },
        );
      }
      const body = await openReport(ctx, job);
      // A stream is piped as it is (Fastify serializes no stream); the schema's string documents it.
      return reply.type('text/csv; charset=utf-8').send(body as unknown as string);
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a job',
        description:
          'No more rows are made into imports, and the open ones are canceled; the job then writes its ' +
          'report (rows never started count as skipped) and turns canceled.',
        tags: ['jobs'],
        security: SECURED,
        params: JobIdParams,
        response: {
          200: JobAccepted.describe('Already canceling or canceled'),
          202: JobAccepted.describe('Canceling'),
          ...errorResponses(401, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const outcome = await cancelJob(ctx, request.tenant, request.params.id, request.log);
      return reply.code(outcome.httpStatus).send({ id: request.params.id, status: 'canceling' as const });
    },
  );
};
