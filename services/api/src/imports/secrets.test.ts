import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  createLogger,
  ImportJobData,
  type ImportRequest,
  openRequest,
  SecretBox,
  stableStringify,
} from '@ferry/shared';
import { newRedis, serviceEnv } from '@ferry/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/api-harness.ts';

const HTTP_TOKEN = 'Bearer http-token-6c0ffee5ecret';
const API_KEY_HEADER = 'x-key-9b1d2e3f4a';
const DROPBOX_TOKEN = 'sl.dropbox-token-77aa33bb';
const DRIVE_SECRET = 'gdrive-client-secret-42ff';
const SECRETS = [HTTP_TOKEN, 'http-token-6c0ffee5ecret', API_KEY_HEADER, DROPBOX_TOKEN, DRIVE_SECRET];

const destination = (key: string) => ({ bucket: 'ferry-dest', key });
const httpRequest = (key: string, token = HTTP_TOKEN): ImportRequest => ({
  source: {
    type: 'http',
    url: 'https://files.example.com/private.bin',
    headers: { Authorization: token, 'X-Api-Key': API_KEY_HEADER },
  },
  destination: destination(key),
});
const dropboxRequest = (key: string): ImportRequest => ({
  source: { type: 'dropbox', path: '/reports/q3.pdf', credentials: { accessToken: DROPBOX_TOKEN } },
  destination: destination(key),
});
const gdriveRequest = (key: string): ImportRequest => ({
  source: {
    type: 'gdrive',
    fileId: 'drive_file_1',
    credentials: { refreshToken: 'rt-1', clientId: 'client-1', clientSecret: DRIVE_SECRET },
  },
  destination: destination(key),
});

/** Every value Redis holds for this test's queue: the import store's keys and BullMQ's. */
async function dumpQueue(redis: Redis, queue: string): Promise<string> {
  const keys = [...(await redis.keys(`ferry:{${queue}}:*`)), ...(await redis.keys(`bull:${queue}:*`))];
  const values: unknown[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'hash') values.push(await redis.hgetall(key));
    else if (type === 'string') values.push(await redis.get(key));
    else if (type === 'zset') values.push(await redis.zrange(key, '0', '-1'));
    else if (type === 'list') values.push(await redis.lrange(key, '0', '-1'));
    else if (type === 'set') values.push(await redis.smembers(key));
    else if (type === 'stream') values.push(await redis.xrange(key, '-', '+'));
  }
  return JSON.stringify({ keys, values });
}

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('provider secrets at rest', () => {
  let api: TestApi;
  let raw: Redis;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    });
    api = await startTestApi({ logger: createLogger('api', 'trace', sink) });
    raw = newRedis();
  });
  afterAll(async () => {
    await api.close();
    raw.disconnect();
  });

  const submit = (payload: object, headers: Record<string, string> = {}) =>
    api.call('a', { method: 'POST', url: '/v1/imports', payload, headers });

  it('seals header values and provider tokens in the record, keeps them out of the job, and GET names them only', async () => {
    const http = await submit(httpRequest('secrets/http.bin'));
    const dropbox = await submit(dropboxRequest('secrets/dropbox.bin'));
    expect([http.statusCode, dropbox.statusCode]).toEqual([202, 202]);
    const [httpId, dropboxId] = [http.json().id as string, dropbox.json().id as string];

    // What Redis holds, read without Ferry's code in between.
    for (const id of [httpId, dropboxId]) {
      const record = await raw.hgetall(api.store.keys.record(id));
      expect(record.request).toContain('"sealed":"v1.');
      expectNoSecrets(JSON.stringify(record));
      const job = await raw.hgetall(`bull:${api.config.FERRY_QUEUE}:${id}`);
      expect(job.data).toContain(id);
      expectNoSecrets(JSON.stringify(job));
    }
    expectNoSecrets(await dumpQueue(raw, api.config.FERRY_QUEUE));

    const httpView = await api.call('a', { method: 'GET', url: `/v1/imports/${httpId}` });
    expect(httpView.json().source).toEqual({
      type: 'http',
      url: 'https://files.example.com/private.bin',
      headerNames: ['Authorization', 'X-Api-Key'],
    });
    const dropboxView = await api.call('a', { method: 'GET', url: `/v1/imports/${dropboxId}` });
    expect(dropboxView.json().source).toEqual({
      type: 'dropbox',
      path: '/reports/q3.pdf',
      credentials: ['accessToken'],
    });
    const listed = await api.call('a', { method: 'GET', url: '/v1/imports?limit=200' });
    expect(listed.json().items.length).toBeGreaterThanOrEqual(2);
    for (const body of [httpView.body, dropboxView.body, listed.body]) {
      expectNoSecrets(body);
      expect(body).not.toContain('sealed');
    }

    // The job names the import alone; a worker holding the key gets the record's request back
    // exactly as it was submitted.
    const box = SecretBox.fromEnv(serviceEnv('any'));
    expect(ImportJobData.parse((await api.queue.getJob(httpId))?.data)).toEqual({ importId: httpId });
    const httpRecord = await api.store.get(httpId);
    expect(httpRecord && openRequest(httpRecord.request, box)).toEqual(httpRequest('secrets/http.bin'));
    const dropboxRecord = await api.store.get(dropboxId);
    expect(dropboxRecord && openRequest(dropboxRecord.request, box)).toEqual(
      dropboxRequest('secrets/dropbox.bin'),
    );
  });

  it('seals the items of a batch', async () => {
    const response = await api.call('a', {
      method: 'POST',
      url: '/v1/imports/batch',
      payload: {
        imports: [httpRequest('batch/h.bin'), dropboxRequest('batch/d.bin'), gdriveRequest('batch/g.bin')],
      },
    });
    expect(response.statusCode).toBe(200);
    const ids = response.json().results.map((r: { id: string }) => r.id);
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      expectNoSecrets(JSON.stringify(await raw.hgetall(api.store.keys.record(id))));
      expectNoSecrets(JSON.stringify(await raw.hgetall(`bull:${api.config.FERRY_QUEUE}:${id}`)));
    }
    const gdrive = await api.call('a', { method: 'GET', url: `/v1/imports/${ids[2]}` });
    expect(gdrive.json().source).toEqual({
      type: 'gdrive',
      fileId: 'drive_file_1',
      credentials: ['refreshToken', 'clientId', 'clientSecret'],
    });
  });

  it('keeps Idempotency-Key working on sealed requests: same body 200, another secret 409', async () => {
    const headers = { 'idempotency-key': 'sealed-idem-1' };
    const first = await submit(httpRequest('idem/sealed.bin'), headers);
    expect(first.statusCode).toBe(202);
    const again = await submit(httpRequest('idem/sealed.bin'), headers);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const otherToken = await submit(httpRequest('idem/sealed.bin', 'Bearer another-token'), headers);
    expect(otherToken.statusCode).toBe(409);
    expect(otherToken.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(otherToken.body).not.toContain('another-token');

    // The stored fingerprint is keyed: not the plain hash of the body, which a guess could confirm.
    const plainDigest = createHash('sha256')
      .update(stableStringify(httpRequest('idem/sealed.bin')))
      .digest('hex');
    const stored = await dumpQueue(raw, api.config.FERRY_QUEUE);
    expect(stored).not.toContain(plainDigest);
    expectNoSecrets(stored);
  });

  it('never logs a secret while submitting', async () => {
    await submit(httpRequest('logs/h.bin'));
    await submit(dropboxRequest('logs/d.bin'));
    // A refused body is logged on its way out too: it must not echo the token either.
    await submit({ ...dropboxRequest('logs/bad.bin'), destination: { bucket: 'Bad_Bucket', key: 'k' } });
    const log = logLines.join('');
    expect(log).toContain('/v1/imports');
    expectNoSecrets(log);
  });
});
