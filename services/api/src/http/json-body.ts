import type { FastifyInstance } from 'fastify';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * JSON is the only body the API reads. Fastify also parses text/plain by default, which would turn
 * a wrong Content-Type into a confusing validation error instead of a 415. An empty body is
 * accepted only where no body is expected (DELETE), since many clients send a JSON Content-Type on
 * every request.
 */
export function acceptJsonBodiesOnly(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && request.method === 'DELETE') {
      done(null, undefined);
      return;
    }
    parseJson(request, body.toString(), done);
  });
}
