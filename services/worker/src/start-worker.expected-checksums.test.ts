import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type FileSourceHandle, startFileSource } from '@ferry/local-stack';
import { ErrorCode, type ExpectedChecksums, type Source } from '@ferry/shared';
import {
  createTestBucket,
  objectSha256,
  randomFile,
  type S3TestBackend,
  s3Backends,
  startHeldSource,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { crc32c } from './transfer/crc32c.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const SIZE = 2 * PART + 777; // two 5 MiB parts and a short third

const file = randomFile(SIZE);
const bytes = readFileSync(join(file.dir, file.name));
const right = {
  size: SIZE,
  md5: createHash('md5').update(bytes).digest('base64'),
  sha256: file.sha256,
  crc32c: crc32c(bytes).toString(16).padStart(8, '0'),
};
/** Every digest of other bytes: a mismatch of each kind. */
const other = Buffer.from('not the bytes of the file');
const wrong = {
  md5: createHash('md5').update(other).digest('hex'),
  sha256: createHash('sha256').update(other).digest('base64'),
  crc32c: Buffer.from(crc32c(other).toString(16).padStart(8, '0'), 'hex').toString('base64'),
};
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

/** Ranged GET bytes a source served (HEADs carry none). */
const bytesServed = (source: FileSourceHandle): number =>
  source.requests
    .filter((request) => request.method === 'GET')
    .reduce((sum, request) => {
      const [, from = '0', to = '0'] = /^bytes=(\d+)-(\d+)$/.exec(request.range ?? '') ?? [];
      return sum + (request.range ? Number(to) - Number(from) + 1 : SIZE);
    }, 0);

describe.for(s3Backends())(
  'expected checksums of a source, into $label (real worker)',
  (backend: S3TestBackend) => {
    let harness: Harness;
    let ranged: FileSourceHandle;
    let unranged: FileSourceHandle;
    let sourceBucket: string;

    beforeAll(async () => {
      harness = await Harness.create(backend);
      ranged = await startFileSource({ root: file.dir });
      unranged = await startFileSource({ root: file.dir, ranges: false });
      sourceBucket = await createTestBucket(harness.s3, 'expected-src');
      await harness.s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: file.name, Body: bytes }));
      // Closed by harness.close().
      await harness.startWorker({ PART_SIZE_MIB: '5' });
    });

    afterAll(async () => {
      await harness?.close();
      await Promise.all([ranged?.close(), unranged?.close()]);
    });

    const sources = (): Record<string, Source> => ({
      ranged: { type: 'http', url: `${ranged.url}/${file.name}` },
      streamed: { type: 'http', url: `${unranged.url}/${file.name}` },
      // Read through the worker rather than copied by S3, so the bytes can be hashed.
      'S3 to S3': { type: 's3', bucket: sourceBucket, key: file.name },
    });
    const run = async (source: Source, expected: ExpectedChecksums, key: string) => {
      const id = await harness.submit({ ...source, expected } as Source, key);
      return harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    };

    it('completes when every expected field holds (ranged, streamed, S3 to S3) and records the MD5 on the object', async () => {
      for (const [path, source] of Object.entries(sources())) {
        const key = `right-${path.replaceAll(' ', '-')}.bin`;
        const record = await run(source, right, key);
        expect(record.error, path).toBeUndefined();
        expect(record, path).toMatchObject({ status: 'completed', result: { size: SIZE } });
        expect(await objectSha256(harness.s3, harness.bucket, key), path).toEqual({
          sha256: file.sha256,
          size: SIZE,
        });
        const head = await harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key }));
        const md5Hex = Buffer.from(right.md5, 'base64').toString('hex');
        expect(head.Metadata?.['ferry-source-checksum'], path).toBe(`md5:${md5Hex}`);
      }
    });

    it.for(['md5', 'sha256', 'crc32c'] as const)(
      'fails CHECKSUM_MISMATCH on its first attempt when expected.%s does not hold: no object, no upload left',
      async (field) => {
        for (const [path, source] of Object.entries(sources())) {
          const key = `wrong-${field}-${path.replaceAll(' ', '-')}.bin`;
          const record = await run(source, { [field]: wrong[field] }, key);
          expect(record, path).toMatchObject({
            status: 'failed',
            attempts: 1,
            error: {
              code: ErrorCode.CHECKSUM_MISMATCH,
              message: expect.stringContaining(`expected.${field}`),
            },
          });
          await expect(objectSha256(harness.s3, harness.bucket, key), path).rejects.toMatchObject({
            name: 'NoSuchKey',
          });
        }
        expect(await harness.openUploads()).toEqual([]);
      },
    );

    it('fails an expected.size the source metadata contradicts before reading a byte', async () => {
      const before = bytesServed(ranged);
      const record = await run(sources().ranged as Source, { size: SIZE + 1 }, 'wrong-size.bin');
      expect(record).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: {
          code: ErrorCode.CHECKSUM_MISMATCH,
          message: `the source is ${SIZE} bytes where expected.size states ${SIZE + 1}`,
        },
      });
      expect(bytesServed(ranged)).toBe(before);
    });

    it('a resumed import continues the SHA-256 from the checkpointed parts: only the unfinished part is read again', async () => {
      // A queue of its own: the suite's worker must not take this import.
      const own = await Harness.create(backend);
      const held = await startHeldSource(ranged.url, 2 * PART + 100);
      try {
        const first = await own.startWorker({ PART_SIZE_MIB: '5', DRAIN_TIMEOUT_S: '1' });
        const key = 'resumed-sha256.bin';
        const id = await own.submit(
          { type: 'http', url: `${held.url}/${file.name}`, expected: { sha256: right.sha256 } },
          key,
        );
        await held.held;
        // Parts 1 and 2 are checkpointed with their SHA-256 states; part 3 is held until the drain ends it.
        await first.close();
        const servedBeforeResume = bytesServed(ranged);
        held.release();
        await own.startWorker({ PART_SIZE_MIB: '5' });
        const record = await own.waitForStatus(id, ['completed', 'failed'], 60_000);
        expect(record.error).toBeUndefined();
        // Handed back by the drain, not failed: still its first attempt.
        expect(record).toMatchObject({
          status: 'completed',
          attempts: 1,
          result: { size: SIZE, partCount: 3 },
        });
        expect(bytesServed(ranged) - servedBeforeResume).toBe(SIZE - 2 * PART);
        expect(await objectSha256(own.s3, own.bucket, key)).toEqual({ sha256: file.sha256, size: SIZE });
      } finally {
        await held.close();
        await own.close();
      }
    });
  },
);
