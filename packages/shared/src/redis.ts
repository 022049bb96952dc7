import { Redis, type RedisOptions } from 'ioredis';

/**
 * `password` is REDIS_PASSWORD, when the AUTH token is kept apart from the URL.
 * `blocking` clients (BullMQ workers and anything that must survive a Redis restart) retry forever;
 * request-path clients fail fast so an HTTP request never hangs on a Redis outage.
 */
export function createRedis(
  url: string,
  options: { blocking?: boolean; name?: string; password?: string | undefined } = {},
): Redis {
  const base: RedisOptions = {
    connectionName: options.name,
    // ioredis takes the URL's own password first, this one where the URL has none.
    ...(options.password === undefined ? {} : { password: options.password }),
    maxRetriesPerRequest: options.blocking ? null : 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return new Redis(url, base);
}

export type { Redis };
