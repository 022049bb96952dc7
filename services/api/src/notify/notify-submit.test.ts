import type { LookupAddress } from 'node:dns';
import { type ResolveAll, SecretBox } from '@ferry/shared';
import { serviceEnv } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  importRequest,
  PUBLIC_ADDRESS,
  startTestApi,
  TENANTS,
  type TestApi,
} from '../testing/api-harness.ts';

const TOKEN = 'callback-token-do-not-print';

/** Names resolve to a public address, except the ones a test points at private or metadata ones. */
const resolveAll: ResolveAll = async (host): Promise<LookupAddress[]> => {
  if (host === 'internal.example') return [{ address: '10.1.2.3', family: 4 }];
  if (host === 'metadata.example') return [{ address: '169.254.169.254', family: 4 }];
  return [{ address: PUBLIC_ADDRESS, family: 4 }];
};

describe('notify on submit', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      resolveAll,
      env: {
        SOURCE_ALLOW_PRIVATE: '0',
        FERRY_NOTIFY_URLS: `${TENANTS.a}=https://default.example/hooks?token=${TOKEN}`,
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  const submit = (who: 'a' | 'b', notify?: unknown) =>
    api.call(who, {
      method: 'POST',
      url: '/v1/imports',
      payload: { ...importRequest(), ...(notify === undefined ? {} : { notify }) },
    });

  it.each([
    ['https://10.0.0.7/hook', 422, 'NOTIFY_ADDRESS_REFUSED'],
    ['https://internal.example/hook', 422, 'NOTIFY_ADDRESS_REFUSED'],
    ['https://metadata.example/hook', 422, 'NOTIFY_ADDRESS_REFUSED'],
    ['https://[::ffff:127.0.0.1]/hook', 422, 'NOTIFY_ADDRESS_REFUSED'],
    ['http://hooks.example.com/hook', 400, 'VALIDATION_FAILED'],
    ['ftp://hooks.example.com/hook', 400, 'VALIDATION_FAILED'],
    ['not a url', 400, 'VALIDATION_FAILED'],
  ])('refuses notify.url %s with %i %s, naming the field', async (url, status, code) => {
    const response = await submit('a', { url });
    expect(response.statusCode).toBe(status);
    expect(response.json().error.code).toBe(code);
    expect(response.json().error.details).toEqual([expect.objectContaining({ field: 'notify.url' })]);
  });

  it('refuses unknown notify fields', async () => {
    const response = await submit('a', { url: 'https://hooks.example.com/', secret: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([{ field: 'notify.secret', message: 'unknown field' }]);
  });

  it("uses the tenant's default when the request names none; GET shows it without its query", async () => {
    const response = await submit('a');
    expect(response.statusCode).toBe(202);
    const { id } = response.json();
    const view = await api.call('a', { method: 'GET', url: `/v1/imports/${id}` });
    expect(view.json().notify).toEqual({ url: 'https://default.example/hooks' });
    expect(view.body).not.toContain(TOKEN);
    // Stored sealed: the record and the job hold the token only inside the sealed URL.
    const record = await api.store.get(id);
    expect(record?.request.notify?.url).toBe('https://default.example/hooks?token=redacted');
    expect(JSON.stringify(record)).not.toContain(TOKEN);
    expect(JSON.stringify((await api.queue.getJob(id))?.data)).not.toContain(TOKEN);
    const box = SecretBox.fromEnv(serviceEnv('any'));
    expect(
      box.open(record?.request.notify?.sealedUrl?.sealed ?? '', JSON.stringify(['notify.url', ['url']])),
    ).toBe(JSON.stringify({ url: `https://default.example/hooks?token=${TOKEN}` }));
  });

  it("prefers the request's own URL, and gives tenants without a default none", async () => {
    const own = await submit('a', { url: 'https://own.example/hook' });
    const view = await api.call('a', { method: 'GET', url: `/v1/imports/${own.json().id}` });
    expect(view.json().notify).toEqual({ url: 'https://own.example/hook' });

    const none = await submit('b');
    const noneView = await api.call('b', { method: 'GET', url: `/v1/imports/${none.json().id}` });
    expect(noneView.json().notify).toBeUndefined();
  });

  it('shows the delivery state once the import is final', async () => {
    const { id } = (await submit('a', { url: 'https://own.example/hook' })).json();
    const canceled = await api.call('a', { method: 'DELETE', url: `/v1/imports/${id}` });
    expect(canceled.statusCode).toBe(202);
    const view = await api.call('a', { method: 'GET', url: `/v1/imports/${id}` });
    expect(view.json().notify).toEqual({ url: 'https://own.example/hook', status: 'pending', attempts: 0 });
    // The API's cancel wrote the outbox entry a worker's dispatcher delivers.
    expect(await api.redis.zscore(api.store.keys.outbox('webhook'), id)).not.toBeNull();
  });

  it('checks each batch item on its own', async () => {
    const response = await api.call('a', {
      method: 'POST',
      url: '/v1/imports/batch',
      payload: {
        imports: [
          { ...importRequest('ok'), notify: { url: 'https://own.example/hook' } },
          { ...importRequest('refused'), notify: { url: 'https://internal.example/hook' } },
        ],
      },
    });
    expect(response.statusCode).toBe(200);
    const [ok, refused] = response.json().results;
    expect(ok).toMatchObject({ index: 0, status: 'queued' });
    expect(refused).toMatchObject({ index: 1, error: { code: 'NOTIFY_ADDRESS_REFUSED' } });
  });
});
