import { ErrorCode, FerryError } from '@ferry/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyRing } from './key-ring.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request's API key belongs to; set by the bearer-auth hook on /v1 routes. */
    tenant: string;
  }
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * An onRequest hook: runs before the body is read, so an unauthenticated client cannot make the
 * API buffer and parse a megabyte. The key itself is never logged nor echoed.
 */
export function bearerAuth(keyRing: KeyRing) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const presented = header ? BEARER.exec(header)?.[1] : undefined;
    const tenant = presented ? keyRing.tenantFor(presented) : null;
    if (tenant === null) {
      throw new FerryError(
        ErrorCode.UNAUTHORIZED,
        header ? 'the API key is not valid' : 'an API key is required: Authorization: Bearer <key>',
        { status: 401 },
      );
    }
    request.tenant = tenant;
  };
}
