import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { IMPORT_JOB_NAME, IMPORT_JOB_OPTIONS, newImportId, sealRequest } from '@ferry/shared';
import { objectSha256, randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const SIZE = 1024 * 1024 + 3;

describe('what a job holds', () => {
  const file = randomFile(SIZE);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({ root: file.dir });
    await harness.startWorker();
  });

  afterAll(async () => {
    await harness?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it("runs a job that names the import alone from its record's request", async () => {
    const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'by-id.bin');
    expect(await harness.redis.hget(`bull:${harness.queueName}:${id}`, 'data')).toBe(
      JSON.stringify({ importId: id }),
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'by-id.bin')).toEqual({
      sha256: file.sha256,
      size: SIZE,
    });
  });

  it('runs a job an earlier API queued with the sealed request in it', async () => {
    const id = newImportId();
    const request = sealRequest(
      {
        source: { type: 'http', url: `${source.url}/${file.name}` },
        destination: { bucket: harness.bucket, key: 'carried.bin' },
      },
      harness.secrets,
    );
    await harness.store.createMany([harness.store.newRecord(id, 'tenant-test', request)]);
    await harness.queue.add(
      IMPORT_JOB_NAME,
      { importId: id, tenant: 'tenant-test', request },
      { ...IMPORT_JOB_OPTIONS, jobId: id },
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'carried.bin')).toEqual({
      sha256: file.sha256,
      size: SIZE,
    });
  });

  it('drops a job whose record is gone, writing no record back', async () => {
    const id = newImportId();
    await harness.queue.add(IMPORT_JOB_NAME, { importId: id }, { ...IMPORT_JOB_OPTIONS, jobId: id });
    expect(await harness.waitForJobState(id, ['completed', 'failed'])).toBe('completed');
    expect(await harness.store.get(id)).toBeNull();
    expect(await harness.redis.exists(harness.store.keys.record(id))).toBe(0);
  });
});
