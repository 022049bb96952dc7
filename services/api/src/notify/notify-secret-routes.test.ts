import { createLogger } from '@ferry/shared';
import { logCapture } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, TENANTS, type TestApi } from '../testing/api-harness.ts';

describe('GET/POST /v1/notify/secret', () => {
  let api: TestApi;
  const logs = logCapture();

  beforeAll(async () => {
    api = await startTestApi({ logger: createLogger('api', 'info', logs.stream) });
  });
  afterAll(async () => {
    await api?.close();
  });

  const get = (who: 'a' | 'b') => api.call(who, { method: 'GET', url: '/v1/notify/secret' });
  const rotate = (who: 'a' | 'b') => api.call(who, { method: 'POST', url: '/v1/notify/secret' });

  it('makes a secret on first request and answers the same one after, per tenant', async () => {
    const first = await get('a');
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const { secret } = first.json();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await get('a')).json()).toEqual({ secret });
    expect((await get('b')).json().secret).not.toBe(secret);
  });

  it('rotates: a new secret, the previous one signing for another 24 hours', async () => {
    const before = (await get('a')).json().secret;
    const rotated = await rotate('a');
    expect(rotated.statusCode).toBe(200);
    const { secret, previousValidUntil } = rotated.json();
    expect(secret).not.toBe(before);
    expect(Date.parse(previousValidUntil) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect((await get('a')).json()).toEqual({ secret, previousValidUntil });
  });

  it('keeps secrets sealed in Redis and out of the logs', async () => {
    const { secret } = (await get('a')).json();
    const stored = await api.redis.hgetall(api.store.keys.notifySecret(TENANTS.a));
    expect(Object.keys(stored).sort()).toEqual(['current', 'previous', 'previousUntilMs']);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    expect(JSON.stringify(logs.lines)).not.toContain(secret.slice(6));
  });

  it('needs a tenant key', async () => {
    expect((await api.call(null, { method: 'GET', url: '/v1/notify/secret' })).statusCode).toBe(401);
  });
});
