import { createHash, randomBytes } from 'node:crypto';
import { Upload } from '@aws-sdk/lib-storage';
import { createTestBucket, objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;

describe('S3 to S3 import (server-side UploadPartCopy, real S3 server)', () => {
  let harness: Harness;
  let sourceBucket: string;
  const body = randomBytes(23 * MIB + 17);
  const sha256 = createHash('sha256').update(body).digest('hex');

  beforeAll(async () => {
    harness = await Harness.create();
    sourceBucket = await createTestBucket(harness.s3, 'copy-src');
    // The test S3 server takes at most 11 MiB per request: write the source in parts too.
    await new Upload({
      client: harness.s3,
      params: { Bucket: sourceBucket, Key: 'dir/big object.bin', Body: body },
      partSize: 5 * MIB,
    }).done();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('copies a multi-part object byte-identical, part by part on the server', async () => {
    await harness.startWorker({ PART_SIZE_MIB: '5' });
    const id = await harness.submit(
      { type: 's3', bucket: sourceBucket, key: 'dir/big object.bin' },
      'copied/object.bin',
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record.result).toMatchObject({ size: body.length, partCount: 5 });
    // Real S3 reports each copied part's CRC-32 (combined into crc32:); the test server reports none.
    expect(record.result?.checksum).toMatch(/^(crc32:[0-9a-f]{8}|s3-etag:".+")$/);
    expect(await objectSha256(harness.s3, harness.bucket, 'copied/object.bin')).toEqual({
      sha256,
      size: body.length,
    });
    expect(await harness.openUploads()).toEqual([]);
  });

  it('fails with SOURCE_NOT_FOUND for a missing source object and leaves no upload open', async () => {
    await harness.startWorker({ PART_SIZE_MIB: '5' });
    const id = await harness.submit({ type: 's3', bucket: sourceBucket, key: 'missing.bin' }, 'never.bin');
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 30_000);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('SOURCE_NOT_FOUND');
    expect(await harness.openUploads()).toEqual([]);
  });
});
