import { ErrorCode, FerryError } from '@ferry/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyRing } from '../auth/key-ring.ts';
import { answerError } from '../http/errors.ts';

const BEARER = /^Bearer +(\S+) *$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

/**
 * Both schemes carry the key in the Authorization header, which the logger redacts: Bearer for
 * scripts, Basic so a browser asks for the key itself and resends it with every page and every
 * request Bull Board's UI makes, without a login form, a cookie or the key in a URL. The challenge
 * names Basic alone: browsers read one challenge per header and would not prompt for a mixed one.
 */
const CHALLENGE = 'Basic realm="Ferry operators", charset="UTF-8"';

/** The key a request presents: Bearer's token, or Basic's password (the user name is ignored). */
function presentedKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = BEARER.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = BASIC.exec(header)?.[1];
  if (!basic) return undefined;
  const credentials = Buffer.from(basic, 'base64').toString('utf8');
  const separator = credentials.indexOf(':');
  return separator < 0 ? undefined : credentials.slice(separator + 1);
}

/**
 * An onRequest hook for everything under /admin: only an operator key (FERRY_ADMIN_KEYS) passes;
 * tenant keys are a different ring and do not. It answers the refusal itself instead of throwing,
 * because Bull Board's routes have their own error handler, which would not answer in Ferry's shape.
 */
export function operatorAuth(adminKeys: readonly string[]) {
  // KeyRing maps keys to tenants; operators have none, so every key maps to one placeholder.
  const ring = new KeyRing(new Map(adminKeys.map((key) => [key, 'operator'])));
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers.authorization;
    const presented = presentedKey(header);
    if (presented && ring.tenantFor(presented) !== null) return undefined;
    reply.header('www-authenticate', CHALLENGE);
    return answerError(
      new FerryError(
        ErrorCode.UNAUTHORIZED,
        header
          ? 'the operator key is not valid'
          : 'an operator key is required: Authorization: Bearer <key>, or Basic with the key as password',
        { status: 401 },
      ),
      request,
      reply,
    );
  };
}
