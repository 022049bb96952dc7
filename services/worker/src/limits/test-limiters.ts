import { createLogger, parseEnv } from '@ferry/shared';
import { testRedisUrl, uniqueName } from '@ferry/test-support';
import { FleetLimiter, type FleetLimiterOptions, limitsPrefix } from './fleet-limiter.ts';
import { type LimitsConfig, LimitsEnv } from './limits-env.ts';

/**
 * FleetLimiters standing in for the worker processes of one fleet: same Redis, same prefix (a fresh
 * queue name per fleet), separate connections. `close()` closes every one of them.
 */
export function testFleet(env: Record<string, string> = {}, options: Partial<FleetLimiterOptions> = {}) {
  const queue = uniqueName('limits');
  const prefix = limitsPrefix(queue);
  const config: LimitsConfig = parseEnv(LimitsEnv, env);
  const limiters: FleetLimiter[] = [];
  return {
    queue,
    prefix,
    worker(extra: Partial<FleetLimiterOptions> = {}): FleetLimiter {
      const limiter = new FleetLimiter({
        redis: testRedisUrl(),
        prefix,
        config,
        logger: createLogger('limits-test', 'silent'),
        ...options,
        ...extra,
      });
      limiters.push(limiter);
      return limiter;
    },
    async close(): Promise<void> {
      await Promise.all(limiters.map((limiter) => limiter.close()));
    },
  };
}
