import { Writable } from 'node:stream';
import { createLogger } from '@ferry/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, KEYS, startTestApi, TENANTS, type TestApi } from '../testing/api-harness.ts';

const WRONG_KEY = 'ak_wrong_5e4d3c2b1a09f8e7d6c5b4a3';
const SOURCE_SECRET = 'source-bearer-token-9c8b7a';
const IDEMPOTENCY_KEY = 'idem-key-visible-only-to-client';

describe('bearer auth on /v1', () => {
  let api: TestApi;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    api = await startTestApi({ logger: createLogger('api', 'trace', sink) });
  });
  afterAll(async () => {
    await api.close();
  });

  const list = (authorization?: string) =>
    api.app.inject({ method: 'GET', url: '/v1/imports', headers: authorization ? { authorization } : {} });

  it('refuses a request without a key: 401 UNAUTHORIZED with WWW-Authenticate', async () => {
    const response = await list();
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json().error.code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['a wrong key', `Bearer ${WRONG_KEY}`],
    ['a prefix of a right key', `Bearer ${KEYS.a.slice(0, -1)}`],
    ['a right key with another scheme', `Basic ${KEYS.a}`],
    ['a scheme without a key', 'Bearer '],
    ['two keys', `Bearer ${KEYS.a} ${KEYS.b}`],
  ])('refuses %s, without echoing it', async (_, authorization) => {
    const response = await list(authorization);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json().error.code).toBe('UNAUTHORIZED');
    expect(response.body).not.toContain(authorization.split(' ')[1] || '\u0000');
  });

  it('refuses before reading the body', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(response.statusCode).toBe(401);
  });

  it("accepts a configured key and acts as the key's tenant", async () => {
    const created = await api.call('b', {
      method: 'POST',
      url: '/v1/imports',
      headers: { 'idempotency-key': IDEMPOTENCY_KEY },
      payload: {
        ...importRequest('auth.bin'),
        source: {
          type: 'http',
          url: 'https://files.example.com/auth.bin',
          headers: { Authorization: `Bearer ${SOURCE_SECRET}` },
        },
      },
    });
    expect(created.statusCode).toBe(202);
    expect((await api.store.get(created.json().id))?.tenant).toBe(TENANTS.b);
    // The scheme is case-insensitive.
    expect((await list(`bearer ${KEYS.b}`)).json().items).toHaveLength(1);
    expect((await list(`Bearer ${KEYS.a}`)).json().items).toHaveLength(0);
    const view = await api.call('b', { method: 'GET', url: `/v1/imports/${created.json().id}` });
    expect(view.body).not.toContain(SOURCE_SECRET);
  });

  it('leaves the operational endpoints open', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
  });

  it('never writes a key or a source secret to the log', () => {
    const log = logLines.join('');
    // The capture works: requests, refusals and the created import were all logged.
    expect(log).toContain('incoming request');
    expect(log).toContain('"code":"UNAUTHORIZED"');
    for (const secret of [KEYS.a, KEYS.b, WRONG_KEY, SOURCE_SECRET, IDEMPOTENCY_KEY]) {
      expect(log).not.toContain(secret);
    }
  });
});
