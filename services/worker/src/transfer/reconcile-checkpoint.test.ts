import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS } from '@ferry/local-stack';
import { createLogger, StoreKeys } from '@ferry/shared';
import { createTestBucket, newRedis, newS3Client, testS3Endpoint, uniqueName } from '@ferry/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Sink } from '../sink/s3-sink.ts';
import type { StoredPart } from '../sink/sink-types.ts';
import { INTERNAL_ERROR, type S3FaultProxy, startS3FaultProxy } from '../testing/s3-fault-proxy.ts';
import { CheckpointStore, type FinishedPart } from './checkpoint.ts';
import { reconcileCheckpoint, reconcileParts } from './reconcile-checkpoint.ts';

const part = (partNumber: number, size = 8, etag = `"e${partNumber}"`, crc = partNumber): FinishedPart => ({
  partNumber,
  etag,
  crc32: crc,
  size,
});
const listed = (partNumber: number, size = 8, etag = `"e${partNumber}"`, crc: number | null = partNumber) =>
  ({ partNumber, etag, size, crc32: crc }) satisfies StoredPart;
const plan = new Map([
  [1, 8],
  [2, 8],
  [3, 4],
]);

describe('reconcileParts', () => {
  it('keeps parts both sides agree on', () => {
    const checkpointed = new Map([[1, part(1)]]);
    expect(reconcileParts(checkpointed, [listed(1, 8, 'e1')], plan)).toEqual({ adopt: [], drop: [] });
  });

  it('adopts parts S3 has and the checkpoint lacks when size and CRC-32 are known', () => {
    expect(reconcileParts(new Map(), [listed(2), listed(3, 4)], plan)).toEqual({
      adopt: [part(2), part(3, 4)],
      drop: [],
    });
  });

  it('leaves for refetching what S3 has but cannot vouch for: no CRC-32, a size off the plan, outside the plan', () => {
    const s3 = [listed(1, 8, '"e1"', null), listed(2, 7), listed(4)];
    expect(reconcileParts(new Map(), s3, plan)).toEqual({ adopt: [], drop: [] });
  });

  it('drops parts S3 lacks, and replaces or drops parts S3 holds differently', () => {
    const checkpointed = new Map([
      [1, part(1)],
      [2, part(2)],
      [3, part(3, 4)],
    ]);
    const s3 = [listed(2, 8, '"other"', 22), listed(3, 4, '"other"', null)];
    expect(reconcileParts(checkpointed, s3, plan)).toEqual({
      adopt: [part(2, 8, '"other"', 22)],
      drop: [1, 3],
    });
  });
});

describe('reconcileCheckpoint (real Redis, S3 server behind a proxy)', () => {
  let redis: Redis;
  let checkpoints: CheckpointStore;
  let direct: S3Client;
  let bucket: string;
  const proxies: S3FaultProxy[] = [];
  const clients: S3Client[] = [];
  const keys = new StoreKeys(uniqueName('reconcile'));
  const logger = createLogger('worker', 'silent');
  const signal = new AbortController().signal;
  const bytes = Buffer.from('0123456789abcdefghij'); // 20 bytes: parts of 8, 8 and 4

  beforeAll(async () => {
    redis = newRedis();
    checkpoints = new CheckpointStore(redis, keys);
    direct = newS3Client();
    bucket = await createTestBucket(direct, 'reconcile');
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    for (const client of [direct, ...clients]) client.destroy();
    const found = await redis.keys(`${keys.prefix}*`);
    if (found.length > 0) await redis.del(...found);
    redis.disconnect();
  });

  const through = async (mode: 'emulate' | 'not-implemented' | 'pass', fault?: typeof INTERNAL_ERROR) => {
    const proxy = await startS3FaultProxy({
      upstream: testS3Endpoint(),
      listParts: mode,
      ...(fault ? { fault: (r) => (r.operation === 'ListParts' ? fault : null) } : {}),
    });
    proxies.push(proxy);
    const s3 = new S3Client({
      endpoint: proxy.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    clients.push(s3);
    return { proxy, s3, sink: new S3Sink(s3, { mode: 'etag', endpoint: proxy.url, logger }) };
  };

  /** An upload holding `stored` of the three parts, and a checkpoint naming `recorded` of them. */
  const prepare = async (s3: S3Client, importId: string, stored: number[], recorded: FinishedPart[]) => {
    const key = `${importId}.bin`;
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'CRC32' }),
    );
    const uploadId = created.UploadId ?? '';
    const real = new Map<number, FinishedPart>();
    for (const partNumber of stored) {
      const body = bytes.subarray((partNumber - 1) * 8, partNumber * 8);
      const answer = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      real.set(partNumber, { partNumber, etag: answer.ETag ?? '', crc32: crc32(body), size: body.length });
    }
    await checkpoints.begin(importId, { uploadId, bucket, key, version: '"v1"', size: 20, partSize: 8 });
    for (const finished of recorded) await checkpoints.recordPart(importId, finished);
    return { uploadId, key, real };
  };

  const sortedParts = async (importId: string) =>
    [...((await checkpoints.load(importId))?.parts.values() ?? [])].sort(
      (a, b) => a.partNumber - b.partNumber,
    );

  it('with ListParts: adopts the part S3 took but the checkpoint missed, forgets the one S3 lacks', async () => {
    const { s3, sink, proxy } = await through('emulate');
    const { real } = await prepare(s3, 'imp-a', [1, 3], []);
    // The crash came after S3 took part 3 and before the checkpoint said so; part 2's entry names a
    // part S3 does not have (lost, or an upload from an older attempt).
    await checkpoints.recordPart('imp-a', real.get(1) as FinishedPart);
    await checkpoints.recordPart('imp-a', part(2, 8, '"gone"', 5));

    const result = await reconcileCheckpoint('imp-a', { sink, checkpoints, logger, signal, pageSize: 1 });
    expect(result).toMatchObject({ kind: 'reconciled', kept: 1, adopted: [3], dropped: [2] });
    expect(await sortedParts('imp-a')).toEqual([real.get(1), real.get(3)]);
    // One part a page: the listing followed NextPartNumberMarker to the end.
    expect(proxy.requests.filter((r) => r.operation === 'ListParts')).toHaveLength(2);
  });

  it('with ListParts: an upload S3 no longer has removes the checkpoint, so a new upload starts', async () => {
    const { s3, sink } = await through('emulate');
    const { uploadId, key, real } = await prepare(s3, 'imp-b', [1], []);
    await checkpoints.recordPart('imp-b', real.get(1) as FinishedPart);
    // A bucket lifecycle rule (AbortIncompleteMultipartUpload) got there first.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));

    const result = await reconcileCheckpoint('imp-b', { sink, checkpoints, logger, signal });
    expect(result).toEqual({ kind: 'upload-gone', uploadId });
    expect(await checkpoints.load('imp-b')).toBeNull();
  });

  it('with ListParts: an upload gone after every part was checkpointed keeps the checkpoint, since it may be complete', async () => {
    const { s3, sink } = await through('emulate');
    const { uploadId, key, real } = await prepare(s3, 'imp-e', [1, 2, 3], []);
    for (const n of [1, 2, 3]) await checkpoints.recordPart('imp-e', real.get(n) as FinishedPart);
    // Gone the way a completed upload goes; completing again will tell which it was.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));

    const result = await reconcileCheckpoint('imp-e', { sink, checkpoints, logger, signal });
    expect(result).toEqual({ kind: 'maybe-completed', uploadId });
    expect(await sortedParts('imp-e')).toEqual([1, 2, 3].map((n) => real.get(n)));
  });

  it.each([
    ['answers 501 NotImplemented', 'not-implemented' as const],
    ['routes ListParts to GetObject (the local S3 server)', 'pass' as const],
  ])('without ListParts (a server that %s) the checkpoint stays as it is', async (_name, mode) => {
    const { s3, sink } = await through(mode);
    const { real } = await prepare(s3, `imp-${mode}`, [1, 2], []);
    await checkpoints.recordPart(`imp-${mode}`, real.get(1) as FinishedPart);
    const result = await reconcileCheckpoint(`imp-${mode}`, { sink, checkpoints, logger, signal });
    expect(result.kind).toBe('unsupported');
    expect(await sortedParts(`imp-${mode}`)).toEqual([real.get(1)]);
  });

  it('is not fooled when the destination key already holds an object that looks like a ListParts answer', async () => {
    const { s3, sink } = await through('pass');
    const { uploadId, key, real } = await prepare(s3, 'imp-c', [1], []);
    await checkpoints.recordPart('imp-c', real.get(1) as FinishedPart);
    // The local server answers ListParts with the object stored at the key.
    const fake = `<ListPartsResult><UploadId>${uploadId}x</UploadId></ListPartsResult>`;
    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fake }));
    expect((await reconcileCheckpoint('imp-c', { sink, checkpoints, logger, signal })).kind).toBe(
      'unsupported',
    );
    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from([0, 1, 2, 255]) }));
    expect((await reconcileCheckpoint('imp-c', { sink, checkpoints, logger, signal })).kind).toBe(
      'unsupported',
    );
    expect(await sortedParts('imp-c')).toEqual([real.get(1)]);
  });

  it('falls back on the checkpoint when ListParts fails for now', async () => {
    const { s3, sink, proxy } = await through('emulate', INTERNAL_ERROR);
    const { real } = await prepare(s3, 'imp-d', [1], []);
    await checkpoints.recordPart('imp-d', real.get(1) as FinishedPart);
    const result = await reconcileCheckpoint('imp-d', { sink, checkpoints, logger, signal });
    expect(result).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('InternalError') });
    expect(proxy.requests.filter((r) => r.operation === 'ListParts').length).toBeGreaterThanOrEqual(1);
    expect(await sortedParts('imp-d')).toEqual([real.get(1)]);
  });

  it('does nothing without a checkpoint', async () => {
    const { sink } = await through('emulate');
    expect(await reconcileCheckpoint('imp-none', { sink, checkpoints, logger, signal })).toEqual({
      kind: 'no-checkpoint',
    });
  });
});
