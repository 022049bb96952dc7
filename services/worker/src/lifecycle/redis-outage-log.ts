import type { Logger, Redis } from '@ferry/shared';

/**
 * Logs a Redis client's outages once each: a warning when it loses Redis, and a line saying how long
 * it was away once it is back. ioredis reports every failed reconnect (one every ≤ 2 s per client,
 * see createRedis), and the worker holds several clients, so a Redis away for an hour would
 * otherwise bury the log in thousands of identical errors.
 */
export function logRedisOutages(client: Redis, logger: Logger, now: () => number = Date.now): void {
  const connection = client.options.connectionName;
  let downSince: number | null = null;
  client.on('error', (error: Error) => {
    if (downSince !== null) return;
    downSince = now();
    logger.warn({ err: error, connection }, 'redis unreachable; retrying');
  });
  client.on('ready', () => {
    if (downSince === null) return;
    logger.info({ connection, downMs: now() - downSince }, 'redis reachable again');
    downSince = null;
  });
}
