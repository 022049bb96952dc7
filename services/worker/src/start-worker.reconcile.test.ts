import { rmSync } from 'node:fs';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { startFileSource } from '@ferry/local-stack';
import { backendS3Client, objectSha256, randomFile, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { startThrottleProxy, type ThrottleProxy } from './testing/throttle-proxy.ts';
import type { Checkpoint } from './transfer/checkpoint.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const PARTS = 6;
const SIZE = PARTS * PART;

const partOf = (range: string | undefined): number =>
  Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1]) / PART + 1;

/**
 * "With ListParts" is RGW's own ListParts (through a proxy that only records), or, for fauxqs which
 * has none, the proxy's emulation of it. "Without ListParts" is fauxqs as it is, or RGW behind a
 * proxy that answers ListParts 501 NotImplemented, as a server without the call does.
 */
describe.for(s3Backends())(
  'resuming against what $label holds (ListParts reconciliation, vanished uploads)',
  (backend) => {
    const file = randomFile(SIZE);
    let harness: Harness;
    let source: Awaited<ReturnType<typeof startFileSource>>;
    let throttle: ThrottleProxy;
    let listing: S3FaultProxy;
    let viaListing: S3Client;
    let unlisting: S3FaultProxy | undefined;
    /** S3_ENDPOINT of a worker that gets no ListParts. */
    let unlisted: string;

    beforeAll(async () => {
      harness = await Harness.create(backend);
      source = await startFileSource({ root: file.dir });
      throttle = await startThrottleProxy(source.url, 4 * MIB);
      listing = await startS3FaultProxy({
        upstream: backend.endpoint,
        listParts: backend.name === 'radosgw' ? 'pass' : 'emulate',
      });
      viaListing = backendS3Client({ ...backend, endpoint: listing.url });
      if (backend.name === 'radosgw') {
        unlisting = await startS3FaultProxy({ upstream: backend.endpoint, listParts: 'not-implemented' });
        unlisted = unlisting.url;
      } else {
        unlisted = backend.endpoint;
      }
    });

    beforeEach(() => {
      throttle.bytesPerSecond = 4 * MIB;
    });

    afterAll(async () => {
      await harness?.close();
      viaListing?.destroy();
      await listing?.close();
      await unlisting?.close();
      await throttle?.close();
      await source?.close();
      rmSync(file.dir, { recursive: true, force: true });
    });

    const worker = (s3Endpoint: string, extra: Record<string, string> = {}) =>
      harness.startWorker({ S3_ENDPOINT: s3Endpoint, PART_SIZE_MIB: '5', PART_CONCURRENCY: '2', ...extra });

    /** Starts an import, lets a few parts land, then drains the worker: the job waits with its checkpoint. */
    const interrupted = async (
      s3Endpoint: string,
      key: string,
      extra: Record<string, string> = {},
    ): Promise<{ id: string; checkpoint: Checkpoint }> => {
      const first = await worker(s3Endpoint, extra);
      const id = await harness.submit({ type: 'http', url: `${throttle.url}/${file.name}` }, key);
      await harness.waitForCheckpointedParts(id, 2);
      await first.close();
      const checkpoint = await harness.checkpoints.load(id);
      expect(checkpoint?.parts.size).toBeLessThan(PARTS - 1); // the last part has not been started
      expect(await harness.store.status(id)).toBe('queued');
      throttle.bytesPerSecond = Number.POSITIVE_INFINITY;
      return { id, checkpoint: checkpoint as Checkpoint };
    };

    const finish = async (
      s3Endpoint: string,
      id: string,
      key: string,
      extra: Record<string, string> = {},
    ) => {
      const rangedBefore = source.requests.length;
      const second = await worker(s3Endpoint, extra);
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
        sha256: file.sha256,
        size: SIZE,
      });
      expect(await harness.openUploads()).toEqual([]);
      await second.close();
      const fetched = source.requests
        .slice(rangedBefore)
        .filter((r) => r.method === 'GET' && r.range)
        .map((r) => partOf(r.range))
        .sort((a, b) => a - b);
      return { record, fetched };
    };

    const notIn = (parts: Iterable<number>) => {
      const have = new Set(parts);
      return Array.from({ length: PARTS }, (_, i) => i + 1).filter((n) => !have.has(n));
    };

    /**
     * The checkpoint as a crash leaves it: the worker died between S3 taking part 1 and the checkpoint
     * recording it, and the checkpoint names a part S3 never got (the last one, not started yet).
     */
    const disagreeWithS3 = async (id: string) => {
      await harness.redis.hdel(harness.checkpoints.key(id), 'part:1');
      await harness.checkpoints.recordPart(id, {
        partNumber: PARTS,
        etag: '"not-in-s3"',
        crc32: 1,
        size: PART,
      });
    };

    // Adoption needs the CRC-32 S3 verified on arrival, in ListParts: only fauxqs behind the emulating
    // proxy, in trailer mode, shows it. RGW 16 decodes no aws-chunked trailers (trailer mode is
    // DESTINATION_UNSUPPORTED there) and its ListParts reports no CRC-32s.
    it.runIf(backend.name === 'fauxqs')(
      'with ListParts: adopts a part S3 has that the checkpoint lost, refetches one the checkpoint claims but S3 lacks',
      async () => {
        const key = 'reconciled.bin';
        // A part is adopted only with the CRC-32 S3 verified on arrival: the trailer mode, whose parts
        // this server echoes the CRC-32 of (auto picks etag here: the server does not check trailers).
        const trailer = { S3_CHECKSUM_MODE: 'trailer' };
        const { id, checkpoint } = await interrupted(listing.url, key, trailer);
        const creates = listing.requests.filter((r) => r.operation === 'CreateMultipartUpload').length;
        await disagreeWithS3(id);

        const { record, fetched } = await finish(listing.url, id, key, trailer);
        expect(record).toMatchObject({ status: 'completed', attempts: 1 });
        // Part 1 came from S3's own list, not from the source again; the last part was fetched.
        expect(fetched).toEqual(notIn(checkpoint.parts.keys()));
        expect(fetched).toContain(PARTS);
        expect(fetched).not.toContain(1);
        expect(listing.requests.filter((r) => r.operation === 'CreateMultipartUpload').length).toBe(creates);
        expect(listing.requests.filter((r) => r.operation === 'ListParts').map((r) => r.status)).toContain(
          200,
        );
      },
    );

    it('with ListParts, in the mode auto picks (etag, signed: no CRC-32 to adopt a part by): refetches a part the checkpoint lost, and one it claims but S3 lacks', async () => {
      const key = 'refetched.bin';
      const { id, checkpoint } = await interrupted(listing.url, key);
      const creates = listing.requests.filter((r) => r.operation === 'CreateMultipartUpload').length;
      await disagreeWithS3(id);

      const { record, fetched } = await finish(listing.url, id, key);
      expect(record).toMatchObject({ status: 'completed', attempts: 1 });
      // S3 lists part 1, but in etag or signed mode S3 keeps no CRC-32 of it: fetched again, not adopted.
      // The part S3 lacks was dropped from the checkpoint and fetched, in the same upload.
      expect(fetched).toEqual([1, ...notIn(checkpoint.parts.keys())]);
      expect(fetched).toContain(PARTS);
      expect(listing.requests.filter((r) => r.operation === 'CreateMultipartUpload').length).toBe(creates);
      expect(listing.requests.filter((r) => r.operation === 'ListParts').map((r) => r.status)).toContain(200);
    });

    it('without ListParts: the checkpoint alone decides, so a part it lost is fetched again', async () => {
      const key = 'checkpoint-only.bin';
      const { id, checkpoint } = await interrupted(unlisted, key);
      await harness.redis.hdel(harness.checkpoints.key(id), 'part:1');
      const { record, fetched } = await finish(unlisted, id, key);
      expect(record).toMatchObject({ status: 'completed', attempts: 1 });
      expect(fetched).toEqual([1, ...notIn(checkpoint.parts.keys())]);
    });

    // RGW 16 answers ListParts of an aborted upload 404 NoSuchKey, as fauxqs answers any ListParts:
    // the probe, which saw this endpoint answer ListParts, tells the two apart.
    it('with ListParts: an upload S3 no longer has is replaced by a new one at once, without using an attempt', async () => {
      const key = 'vanished-listed.bin';
      const { id, checkpoint } = await interrupted(listing.url, key);
      // As a bucket lifecycle rule (AbortIncompleteMultipartUpload) would.
      await viaListing.send(
        new AbortMultipartUploadCommand({
          Bucket: harness.bucket,
          Key: key,
          UploadId: checkpoint.uploadId,
        }),
      );
      const { record, fetched } = await finish(listing.url, id, key);
      expect(record).toMatchObject({ status: 'completed', attempts: 1 });
      expect(fetched).toEqual(notIn([]));
      const created = listing.requests.filter(
        (r) => r.operation === 'CreateMultipartUpload' && r.key === key,
      );
      expect(created).toHaveLength(2);
    });

    it('without ListParts: an upload S3 no longer has fails one attempt at its first part, and the retry starts a new one', async () => {
      const key = 'vanished-unlisted.bin';
      const { id, checkpoint } = await interrupted(unlisted, key);
      await harness.s3.send(
        new AbortMultipartUploadCommand({ Bucket: harness.bucket, Key: key, UploadId: checkpoint.uploadId }),
      );
      const { record, fetched } = await finish(unlisted, id, key);
      expect(record).toMatchObject({ status: 'completed', attempts: 2 });
      // Every part of the new upload, after the part(s) the first attempt tried before S3 said NoSuchUpload.
      expect(fetched.length).toBeGreaterThanOrEqual(PARTS + 1);
      expect(fetched.length).toBeLessThanOrEqual(PARTS + 2);
    });
  },
);
