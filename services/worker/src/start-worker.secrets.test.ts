import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import {
  ErrorCode,
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  newImportId,
  SecretBox,
  SecretKey,
  sealRequest,
} from '@ferry/shared';
import { objectSha256, randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const TOKEN = 'Bearer worker-e2e-token-5f3a9c';
const SIZE = 6 * 1024 * 1024 + 17;

describe('sealed source secrets', () => {
  const file = randomFile(SIZE);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;

  beforeAll(async () => {
    harness = await Harness.create();
    // An origin that serves nothing without the right Authorization header.
    source = await startFileSource({
      root: file.dir,
      intercept: (req, res) => {
        if (req.headers.authorization === TOKEN) return false;
        res.writeHead(401).end();
        return true;
      },
    });
    await harness.startWorker({ PART_SIZE_MIB: '5' });
  });

  afterAll(async () => {
    await harness?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('opens the sealed headers of a job and sends them to the source', async () => {
    const id = await harness.submit(
      { type: 'http', url: `${source.url}/${file.name}`, headers: { Authorization: TOKEN } },
      'sealed-headers.bin',
    );
    // The record holds the header sealed, the job nothing of it; only the worker opens it.
    const stored = await harness.redis.hget(harness.store.keys.record(id), 'request');
    expect(stored).toContain('"sealed":"v1.');
    expect(stored).not.toContain('worker-e2e-token');
    expect(await harness.redis.hget(`bull:${harness.queueName}:${id}`, 'data')).toBe(
      JSON.stringify({ importId: id }),
    );

    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'sealed-headers.bin')).toEqual({
      sha256: file.sha256,
      size: SIZE,
    });
    expect(source.requests.length).toBeGreaterThan(1);
  });

  it('fails a job sealed with a key it does not hold with SECRET_UNREADABLE, without retrying', async () => {
    const stranger = new SecretBox(new SecretKey(randomBytes(32)));
    const id = newImportId();
    const request = sealRequest(
      {
        source: { type: 'http', url: `${source.url}/${file.name}`, headers: { Authorization: TOKEN } },
        destination: { bucket: harness.bucket, key: 'unreadable.bin' },
      },
      stranger,
    );
    await harness.store.createMany([harness.store.newRecord(id, 'tenant-test', request)]);
    await harness.queue.add(
      IMPORT_JOB_NAME,
      { importId: id, tenant: 'tenant-test', request },
      { ...IMPORT_JOB_OPTIONS, jobId: id },
    );
    const record = await harness.waitForStatus(id, ['failed', 'completed']);
    expect(record.error).toMatchObject({ code: ErrorCode.SECRET_UNREADABLE, attempts: 1 });
    expect(record.error?.message).not.toContain('worker-e2e-token');
    expect(await harness.waitForJobState(id, ['failed'])).toBe('failed');
  });
});
