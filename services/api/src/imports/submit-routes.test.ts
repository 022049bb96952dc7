import {
  IMPORT_ID_PATTERN,
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  ImportStore,
  systemResolveAll,
} from '@ferry/shared';
import { TEST_PATIENCE_MS } from '@ferry/test-support';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { importRequest, resolveTo, startTestApi, TENANTS, type TestApi } from '../testing/api-harness.ts';

describe('POST /v1/imports', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 202 with a new id, writes the record with the request and queues a job naming it', async () => {
    const request = importRequest('submit/one.bin');
    const response = await api.call('a', { method: 'POST', url: '/v1/imports', payload: request });
    expect(response.statusCode).toBe(202);
    const { id, status } = response.json();
    expect(status).toBe('queued');
    expect(id).toMatch(IMPORT_ID_PATTERN);

    const job = await api.queue.getJob(id);
    expect(job?.name).toBe(IMPORT_JOB_NAME);
    // The id alone: the worker reads the request from the record.
    expect(job?.data).toEqual({ importId: id });
    expect(job?.opts.attempts).toBe(IMPORT_JOB_OPTIONS.attempts);
    expect(job?.opts.backoff).toEqual(IMPORT_JOB_OPTIONS.backoff);
    expect(await api.queue.getJobState(id)).toBe('waiting');

    const record = await api.store.get(id);
    expect(record).toMatchObject({ id, tenant: TENANTS.a, status: 'queued', request });
  });

  it('accepts an S3 source (no address check: workers read it with their own credentials)', async () => {
    const request = {
      source: { type: 's3', bucket: 'source-bucket', key: 'big/object.bin', region: 'eu-west-1' },
      destination: importRequest('submit/from-s3.bin').destination,
    };
    const response = await api.call('a', { method: 'POST', url: '/v1/imports', payload: request });
    expect(response.statusCode).toBe(202);
    const view = await api.call('a', { method: 'GET', url: `/v1/imports/${response.json().id}` });
    expect(view.json().source).toEqual(request.source);
  });

  it('names the field of a bad S3 source', async () => {
    const request = {
      source: { type: 's3', bucket: 'Bad_Bucket', key: 'k', region: 'moon-1' },
      destination: importRequest('submit/bad-s3.bin').destination,
    };
    const response = await api.call('a', { method: 'POST', url: '/v1/imports', payload: request });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(response.json().error.message).toContain('source.bucket');
    expect(response.json().error.message).toContain('source.region');
  });

  describe('Idempotency-Key', () => {
    it('answers 200 with the first import for the same key and body, in any key order', async () => {
      const headers = { 'idempotency-key': 'order-1234' };
      const first = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('idem/a.bin'),
      });
      expect(first.statusCode).toBe(202);
      const reordered = {
        destination: importRequest('idem/a.bin').destination,
        source: importRequest().source,
      };
      const again = await api.call('a', { method: 'POST', url: '/v1/imports', headers, payload: reordered });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ id: first.json().id, status: 'queued' });
      // Exactly one import was created.
      expect(await api.queue.getJob(first.json().id)).toBeDefined();
      const listed = await api.call('a', { method: 'GET', url: '/v1/imports?limit=200' });
      expect(
        listed
          .json()
          .items.filter((i: { destination: { key: string } }) => i.destination.key === 'idem/a.bin'),
      ).toHaveLength(1);
    });

    it('answers 409 IDEMPOTENCY_CONFLICT for the same key with another body', async () => {
      const headers = { 'idempotency-key': 'order-5678' };
      const first = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('b1'),
      });
      expect(first.statusCode).toBe(202);
      const other = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('b2'),
      });
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
    });

    it('keeps keys per tenant', async () => {
      const headers = { 'idempotency-key': 'shared-key' };
      const a = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('t'),
      });
      const b = await api.call('b', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('t'),
      });
      expect(a.statusCode).toBe(202);
      expect(b.statusCode).toBe(202);
      expect(b.json().id).not.toBe(a.json().id);
    });

    it('reports the current status of the import the key names', async () => {
      const headers = { 'idempotency-key': 'status-check' };
      const first = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('s'),
      });
      await api.store.markRunning(first.json().id, 1);
      const again = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers,
        payload: importRequest('s'),
      });
      expect(again.json()).toEqual({ id: first.json().id, status: 'running' });
    });

    it.each([
      ['an empty value', ''],
      ['256 characters', 'k'.repeat(256)],
      ['a non-ASCII character', 'clé'],
    ])('refuses %s with 400 naming the header', async (_, value) => {
      const response = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'idempotency-key': value },
        payload: importRequest(),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
      expect(response.json().error.message).toMatch(/^idempotency-key: /);
    });

    it('accepts 255 printable characters', async () => {
      const response = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'idempotency-key': `${'k'.repeat(250)} ~!@#` },
        payload: importRequest('long-key'),
      });
      expect(response.statusCode).toBe(202);
    });
  });
});

describe('SSRF checks on submit', () => {
  const submit = (api: TestApi, url: string) =>
    api.call('a', { method: 'POST', url: '/v1/imports', payload: importRequest('ssrf', url) });

  describe('with private addresses refused (the default)', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({
        env: { SOURCE_ALLOW_PRIVATE: '0' },
        resolveAll: async (host) =>
          host === 'intranet.example.com' ? resolveTo('10.0.0.1')(host) : systemResolveAll(host),
      });
    });
    afterAll(async () => {
      await api.close();
    });

    it.each([
      ['a loopback literal', 'http://127.0.0.1:9000/file'],
      ['an IPv6 loopback literal', 'http://[::1]:9000/file'],
      ['a private literal', 'http://192.168.1.10/file'],
      ['a DNS name resolving to loopback', 'http://localhost:9000/file'],
      ['a name resolving to 10.0.0.1', 'https://intranet.example.com/file'],
      ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ])('refuses %s with 422 SOURCE_ADDRESS_REFUSED and queues nothing', async (_, url) => {
      const response = await submit(api, url);
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({
        code: 'SOURCE_ADDRESS_REFUSED',
        details: [{ field: 'source.url' }],
      });
      expect(await api.queue.count()).toBe(0);
    });

    it('refuses a name that does not resolve with 422 SOURCE_HOST_UNRESOLVED', async () => {
      const response = await submit(api, 'http://no-such-host.invalid/file');
      expect(response.statusCode).toBe(422);
      expect(response.json().error.code).toBe('SOURCE_HOST_UNRESOLVED');
    });
  });

  describe('with private addresses allowed', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({
        env: { SOURCE_ALLOW_PRIVATE: '1' },
        resolveAll: async (host) =>
          host === 'sneaky.example.com' ? resolveTo('169.254.169.254')(host) : systemResolveAll(host),
      });
    });
    afterAll(async () => {
      await api.close();
    });

    it('accepts loopback', async () => {
      expect((await submit(api, 'http://localhost:9000/file')).statusCode).toBe(202);
      expect((await submit(api, 'http://127.0.0.1:9000/file')).statusCode).toBe(202);
    });

    it.each([
      ['169.254.169.254', 'http://169.254.169.254/latest/meta-data/'],
      ['the ECS credentials address', 'http://169.254.170.2/v2/credentials'],
      ['a name resolving to 169.254.169.254', 'http://sneaky.example.com/'],
    ])('still refuses %s', async (_, url) => {
      const response = await submit(api, url);
      expect(response.statusCode).toBe(422);
      expect(response.json().error.code).toBe('SOURCE_ADDRESS_REFUSED');
    });
  });
});

describe('when the queue refuses the job', () => {
  let api: TestApi;
  beforeAll(async () => {
    // A short poll: the pass after the refused one comes soon.
    api = await startTestApi({ env: { QUEUE_FEED_POLL_MS: '100' } });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await api.close();
  });

  // A fault injected at the queue boundary: Redis itself stays up, so the cleanup can be observed.
  const failQueueing = () =>
    vi.spyOn(Queue.prototype, 'addBulk').mockRejectedValueOnce(new Error('OOM command not allowed'));

  // Written is accepted (lazy queueing): the record waits unfed, and a later feeding pass queues it.
  it('answers 202 all the same, and a later pass queues the job', async () => {
    failQueueing();
    const response = await api.call('a', {
      method: 'POST',
      url: '/v1/imports',
      payload: importRequest('q-fail'),
    });
    expect(response.statusCode).toBe(202);
    const { id } = response.json();
    expect((await api.call('a', { method: 'GET', url: `/v1/imports/${id}` })).json().status).toBe('queued');
    await expect.poll(async () => (await api.queue.getJob(id))?.id, { timeout: TEST_PATIENCE_MS }).toBe(id);
  });

  it('accepts a whole batch all the same, and queues every job of it later', async () => {
    failQueueing();
    const response = await api.call('b', {
      method: 'POST',
      url: '/v1/imports/batch',
      payload: { imports: [importRequest('b1'), importRequest('b2')] },
    });
    expect(response.statusCode).toBe(200);
    const ids = response.json().results.map((result: { id: string }) => result.id);
    await expect
      .poll(async () => (await Promise.all(ids.map((id: string) => api.queue.getJob(id)))).every(Boolean), {
        timeout: TEST_PATIENCE_MS,
      })
      .toBe(true);
  });
});

describe('when the store refuses the records', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await api.close();
  });

  // A fault injected at the store boundary: Redis itself stays up, so the cleanup can be observed.
  const failWriting = () =>
    vi
      .spyOn(ImportStore.prototype, 'createToFeed')
      .mockRejectedValueOnce(new Error('OOM command not allowed'));

  it('answers 503 UNAVAILABLE and leaves no record and no job', async () => {
    failWriting();
    const response = await api.call('a', {
      method: 'POST',
      url: '/v1/imports',
      payload: importRequest('s-fail'),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toEqual({
      code: 'UNAVAILABLE',
      message: 'the import store is unavailable; retry later',
    });
    expect(response.body).not.toContain('OOM');
    expect((await api.call('a', { method: 'GET', url: '/v1/imports' })).json().items).toEqual([]);
    expect(await api.queue.count()).toBe(0);
  });

  it('releases the Idempotency-Key so the retry creates the import', async () => {
    const headers = { 'idempotency-key': 'retry-after-failure' };
    failWriting();
    const failed = await api.call('a', {
      method: 'POST',
      url: '/v1/imports',
      headers,
      payload: importRequest('s-idem'),
    });
    expect(failed.statusCode).toBe(503);
    const retried = await api.call('a', {
      method: 'POST',
      url: '/v1/imports',
      headers,
      payload: importRequest('s-idem'),
    });
    expect(retried.statusCode).toBe(202);
    expect(await api.queue.getJob(retried.json().id)).toBeDefined();
  });
});
