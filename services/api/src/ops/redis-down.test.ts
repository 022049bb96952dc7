import { createServer } from 'node:net';
import { createRedis } from '@ferry/shared';
import { serviceEnv, uniqueName } from '@ferry/test-support';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../app.ts';
import { parseApiConfig } from '../env.ts';
import { importRequest, KEYS, PUBLIC_ADDRESS, resolveTo, TENANTS } from '../testing/api-harness.ts';

/** A port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('with Redis unreachable', () => {
  let app: FastifyInstance;
  let redis: Redis;

  beforeAll(async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    // The API's own client settings: request-path commands fail fast instead of queueing forever.
    redis = createRedis(url, { name: 'ferry-api-test' });
    redis.on('error', () => {});
    const config = parseApiConfig({
      ...serviceEnv(uniqueName('api-down')),
      REDIS_URL: url,
      FERRY_API_KEYS: `${KEYS.a}:${TENANTS.a}`,
    });
    app = buildApi(config, { redis, resolveAll: resolveTo(PUBLIC_ADDRESS) });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    redis.disconnect();
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${KEYS.a}` },
      ...(payload ? { payload } : {}),
    });

  it('/healthz still answers 200; /readyz answers 503 UNAVAILABLE', async () => {
    expect((await call('GET', '/healthz')).statusCode).toBe(200);
    const ready = await call('GET', '/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('1');
    expect(ready.json().error).toEqual({ code: 'UNAVAILABLE', message: 'Redis is unavailable; retry later' });
  });

  it('submit, get, list and cancel answer 503 UNAVAILABLE, never 500', async () => {
    const id = 'imp_01M89CJT3GM9TWA115JNTASYZE';
    const responses = await Promise.all([
      call('POST', '/v1/imports', importRequest()),
      call('POST', '/v1/imports/batch', { imports: [importRequest()] }),
      call('GET', `/v1/imports/${id}`),
      call('GET', '/v1/imports'),
      call('DELETE', `/v1/imports/${id}`),
    ]);
    for (const response of responses) {
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toEqual({
        code: 'UNAVAILABLE',
        message: 'the import store is unavailable; retry later',
      });
    }
  });

  it('/metrics still answers, without queue counts', async () => {
    const response = await call('GET', '/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('ferry_api_http_requests_total');
    expect(response.body).not.toMatch(/ferry_queue_jobs\{/);
  });
});
