import type { LookupAddress } from 'node:dns';
import {
  type ImportJobData,
  type ImportRequest,
  ImportStore,
  type Logger,
  type ResolveAll,
} from '@ferry/shared';
import { forgetQueueKeys, newRedis, serviceEnv, uniqueName } from '@ferry/test-support';
import { Queue } from 'bullmq';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApi } from '../app.ts';
import { type ApiConfig, parseApiConfig } from '../env.ts';

/** Test-only helpers: an app on the test Redis, its own queue name, two tenants. */

export const KEYS = {
  a: 'ak_alpha_6f1d2c9e8b7a4f3e2d1c0b9a',
  b: 'ak_bravo_0a1b2c3d4e5f60718293a4b5',
} as const;
export const TENANTS = { a: 'tenant-a', b: 'tenant-b' } as const;
export type Who = keyof typeof KEYS;

/** Every name resolves to one public address unless a test says otherwise. */
export const resolveTo =
  (address: string): ResolveAll =>
  async (): Promise<LookupAddress[]> => [{ address, family: address.includes(':') ? 6 : 4 }];

export const PUBLIC_ADDRESS = '93.184.216.34';

export function importRequest(key = 'file.bin', url = 'https://files.example.com/file.bin'): ImportRequest {
  return { source: { type: 'http', url }, destination: { bucket: 'ferry-dest', key } };
}

export interface TestApi {
  app: FastifyInstance;
  config: ApiConfig;
  redis: Redis;
  store: ImportStore;
  queue: Queue<ImportJobData>;
  /** app.inject with the tenant's bearer key and JSON encoding. */
  call(who: Who | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  /**
   * Closes the API and, unless `handOver` (another API of the same queue takes over, as after a
   * crash), deletes its queue: BullMQ's keys and the store's.
   */
  close(options?: { handOver?: boolean }): Promise<void>;
}

export async function startTestApi(
  options: { env?: Record<string, string>; resolveAll?: ResolveAll; logger?: Logger } = {},
): Promise<TestApi> {
  const config = parseApiConfig({
    ...serviceEnv(uniqueName('api')),
    FERRY_API_KEYS: `${KEYS.a}:${TENANTS.a},${KEYS.b}:${TENANTS.b}`,
    ...options.env,
  });
  const redis = newRedis();
  const app = buildApi(config, {
    redis,
    resolveAll: options.resolveAll ?? resolveTo(PUBLIC_ADDRESS),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await app.ready();
  const queue = new Queue<ImportJobData>(config.FERRY_QUEUE, { connection: redis });
  return {
    app,
    config,
    redis,
    store: new ImportStore(redis, config.FERRY_QUEUE),
    queue,
    call(who, options) {
      const headers = { ...(who ? { authorization: `Bearer ${KEYS[who]}` } : {}), ...options.headers };
      return app.inject({ ...options, headers });
    },
    async close(options = {}) {
      await app.close();
      if (!options.handOver) {
        await queue.obliterate({ force: true }).catch(() => {});
        await forgetQueueKeys(redis, config.FERRY_QUEUE).catch(() => {});
      }
      await queue.close();
      await redis.quit();
    },
  };
}
