import { LogController } from 'fastify';

/**
 * Fastify's two lines per request (received, answered) cost a submit a quarter of its CPU, more
 * than validating and writing it: they are written only while the log level is debug or trace.
 * Refusals and failures are logged by the error handler whatever the level, and /metrics counts
 * every request by route and status.
 */
export function requestLogController(): LogController {
  return new LogController({ disableRequestLogging: (request) => !VERBOSE_LEVELS.has(request.log.level) });
}

const VERBOSE_LEVELS = new Set(['debug', 'trace']);
