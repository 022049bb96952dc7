import { randomBytes } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ManifestObject } from '@ferry/shared';
import { createTestBucket, newS3Client } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headManifest, readManifest } from './manifest-objects.ts';

describe('manifest objects (real S3)', () => {
  let s3: S3Client;
  let manifest: ManifestObject;
  const bytes = randomBytes(10_000);

  beforeAll(async () => {
    s3 = newS3Client();
    const bucket = await createTestBucket(s3, 'ferry-manifest-io');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'm.csv', Body: bytes }));
    manifest = { bucket, key: 'm.csv', format: 'csv', ...(await headManifest(s3, bucket, 'm.csv')) };
  });
  afterAll(() => s3?.destroy());

  const read = async (offset: number, firstRange: number): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of readManifest(s3, manifest, offset, firstRange)) chunks.push(chunk);
    return Buffer.concat(chunks);
  };

  it('reads from any offset to the end through growing ranges, byte for byte', async () => {
    expect(manifest.size).toBe(bytes.length);
    expect((await read(3, 100)).equals(bytes.subarray(3))).toBe(true);
    expect((await read(0, 1 << 20)).equals(bytes)).toBe(true);
    expect(await read(bytes.length, 100)).toHaveLength(0);
  });

  it('refuses a manifest that is gone as MANIFEST_UNREADABLE', async () => {
    const gone = { ...manifest, key: 'gone.csv' };
    await expect(readManifest(s3, gone, 0).next()).rejects.toMatchObject({
      code: 'MANIFEST_UNREADABLE',
      status: 409,
    });
    // The object named, but another version of it than the job pinned.
    await expect(
      readManifest(s3, { ...manifest, etag: '"0123456789abcdef0123456789abcdef"' }, 0).next(),
    ).rejects.toMatchObject({
      code: 'MANIFEST_UNREADABLE',
    });
    await expect(headManifest(s3, manifest.bucket, 'gone.csv')).rejects.toMatchObject({
      code: 'MANIFEST_UNREADABLE',
      status: 400,
    });
  });
});
