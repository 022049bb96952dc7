import { Redis, type RedisOptions } from 'ioredis';

/**
 * `blocking` clients (BullMQ workers and anything that must survive a Redis restart) retry forever;
 * request-path clients fail fast so an HTTP request never hangs on a Redis outage.
 */
export function createRedis(url: string, options: { blocking?: boolean; name?: string } = {}): Redis {
  const base: RedisOptions = {
    connectionName: options.name,
    maxRetriesPerRequest: options.blocking ? null : 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return new Redis(url, base);
}

export type { Redis };
