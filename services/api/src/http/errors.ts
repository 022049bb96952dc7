import { ErrorCode, FerryError, isFerryError } from '@ferry/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BODY_LIMIT_BYTES } from './json-body.ts';

/** Fastify's own client errors, restated with Ferry's codes and without internal wording. */
const FASTIFY_ERRORS: Record<string, () => FerryError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new FerryError(ErrorCode.INVALID_JSON, 'the request body is not valid JSON', { status: 400 }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new FerryError(ErrorCode.INVALID_JSON, 'the request body is empty but Content-Type is application/json', {
      status: 400,
    }),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new FerryError(ErrorCode.BODY_TOO_LARGE, `the request body is larger than ${BODY_LIMIT_BYTES} bytes`, {
      status: 413,
    }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new FerryError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'the request body must be application/json', {
      status: 415,
    }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new FerryError(ErrorCode.VALIDATION_FAILED, 'the request body size does not match Content-Length', {
      status: 400,
    }),
  // A URL that does not decode, or a path segment too long to be an id, names nothing that exists.
  FST_ERR_BAD_URL: () => new FerryError(ErrorCode.NOT_FOUND, 'no such route', { status: 404 }),
  FST_ERR_MAX_PARAM_LENGTH: () => new FerryError(ErrorCode.NOT_FOUND, 'no such route', { status: 404 }),
};

/**
 * Every failure as a FerryError with a 4xx/5xx status. Anything unrecognised is a bug: it becomes a
 * generic 500 so no internal detail (messages can carry Redis arguments, i.e. request secrets)
 * reaches the client.
 */
export function toFerryError(error: unknown): FerryError {
  if (isFerryError(error) && error.status >= 400 && error.status < 600) return error;
  const fastifyCode = (error as Partial<FastifyError> | null)?.code;
  const known = fastifyCode ? FASTIFY_ERRORS[fastifyCode] : undefined;
  if (known) return known();
  const status = (error as Partial<FastifyError> | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && fastifyCode?.startsWith('FST_')) {
    return new FerryError(ErrorCode.VALIDATION_FAILED, 'the request is malformed', { status: 400 });
  }
  return new FerryError(ErrorCode.INTERNAL, 'internal error', { status: 500 });
}

/**
 * What may be logged about an error: name, code and message (plus the stack for bugs), never the
 * whole object. ioredis errors carry the failed command's arguments, which hold request secrets.
 */
export function loggableError(error: unknown, withStack: boolean): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(withStack ? { stack: error.stack } : {}),
    ...(error.cause instanceof Error ? { cause: loggableError(error.cause, false) } : {}),
  };
}

/** Answers any error in Ferry's shape. Also Fastify's `frameworkErrors`, for errors raised before routing. */
export function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const ferry = toFerryError(error);
  if (ferry.status >= 500) {
    request.log.error({ err: loggableError(error, ferry.code === ErrorCode.INTERNAL) }, 'request failed');
  } else {
    request.log.info({ code: ferry.code }, 'request refused');
  }
  // The operator pages set their own (Basic) challenge, so that a browser asks for the key.
  if (ferry.code === ErrorCode.UNAUTHORIZED && !reply.hasHeader('www-authenticate')) {
    reply.header('www-authenticate', 'Bearer');
  }
  if (ferry.status === 503) reply.header('retry-after', '1');
  return reply.code(ferry.status).send(ferry.toJSON());
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answerError);

  app.setNotFoundHandler(answerNotFound);
}

/** The answer to a path no route serves. */
export function answerNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // The path is not echoed: reflecting arbitrary client input gains nothing.
  request.log.info({ code: ErrorCode.NOT_FOUND }, 'no such route');
  return reply.code(404).send(new FerryError(ErrorCode.NOT_FOUND, 'no such route').toJSON());
}
