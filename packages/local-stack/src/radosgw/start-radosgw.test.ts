import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../local-s3-client.ts';
import { type RadosgwHandle, startRadosgw } from './start-radosgw.ts';

const MIB = 1024 * 1024;

/** Processes started with this cluster's ceph.conf, found in /proc so the check needs no handle internals. */
function cephProcessesOf(dir: string): number[] {
  const conf = `--conf\0${join(dir, 'ceph.conf')}\0`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Digests, not the bytes: toEqual walks megabytes of Buffer element by element, for seconds.
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

async function bytesOf(
  body: { transformToByteArray(): Promise<Uint8Array> } | undefined,
): Promise<Uint8Array> {
  if (!body) throw new Error('GetObject returned no body');
  return body.transformToByteArray();
}

describe('startRadosgw', () => {
  let dir: string;
  let radosgw: RadosgwHandle;
  let s3: S3Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-radosgw-test-'));
    radosgw = await startRadosgw({ dir, removeOnClose: true });
    s3 = localS3Client(radosgw.endpoint, radosgw.credentials);
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await radosgw?.close();
  });

  it('runs mon, OSD and radosgw of its own, with the OSD on a sparse 20 GiB file', () => {
    expect(radosgw.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(radosgw.version).toMatch(/^\d+\.\d+\.\d+/);
    const byPid = (a: number, b: number) => a - b;
    expect([...radosgw.pids].sort(byPid)).toEqual(cephProcessesOf(dir).sort(byPid));
    expect(radosgw.pids.filter(alive)).toHaveLength(3);
    const block = statSync(join(dir, 'osd', 'block'));
    expect(block.size).toBe(20 * 1024 ** 3);
    expect(block.blocks * 512).toBeLessThan(block.size / 10);
  });

  it('stores and returns an object', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'round-trip' }));
    const body = randomBytes(100_000);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'round-trip', Key: 'a/b.bin', Body: body }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'round-trip', Key: 'a/b.bin' }));
    expect(md5(await bytesOf(got.Body))).toBe(md5(body));
  });

  it('assembles a multipart upload of two 5 MiB parts', async () => {
    const Bucket = 'multipart';
    const Key = 'big.bin';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts = [randomBytes(5 * MIB), randomBytes(5 * MIB)];
    const uploaded = [];
    for (const [index, part] of parts.entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body: part }),
      );
      uploaded.push({ PartNumber: index + 1, ETag });
    }

    const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listed.Parts?.map(({ PartNumber, ETag, Size }) => ({ PartNumber, ETag, Size }))).toEqual(
      uploaded.map((part) => ({ ...part, Size: 5 * MIB })),
    );
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(open.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([[Key, UploadId]]);

    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: uploaded } }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(md5(await bytesOf(got.Body))).toBe(md5(Buffer.concat(parts)));
    const after = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(after.Uploads ?? []).toEqual([]);
  });

  it('stops every daemon and removes its folder on close', async () => {
    const pids = radosgw.pids;
    expect(pids).toHaveLength(3);
    await radosgw.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(cephProcessesOf(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
