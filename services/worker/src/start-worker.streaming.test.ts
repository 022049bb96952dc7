import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { startFileSource } from '@ferry/local-stack';
import { ErrorCode, IMPORT_JOB_NAME, IMPORT_JOB_OPTIONS, newImportId, sealRequest } from '@ferry/shared';
import { objectSha256, randomFile, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { formatCrc32 } from './transfer/crc32-combine.ts';

const MIB = 1024 * 1024;

// One source folder for both servers: the file to stream and an empty one.
const file = randomFile(20 * MIB + 12_345);
writeFileSync(join(file.dir, 'empty.bin'), '');
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

describe.for(s3Backends())(
  'imports without ranges (streaming path) and empty files into $label',
  (backend: S3TestBackend) => {
    let harness: Harness;
    let expectedChecksum: string;

    beforeAll(async () => {
      expectedChecksum = formatCrc32(crc32(await readFile(join(file.dir, file.name))));
      harness = await Harness.create(backend);
      // Closed by harness.close().
      await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '2' });
    });

    afterAll(async () => {
      await harness?.close();
    });

    it.each([
      { name: 'HEAD works, no ranges', options: { ranges: false } },
      {
        name: 'no HEAD, no ranges, no Content-Length',
        options: { ranges: false, head: false, contentLength: false },
      },
    ])('streams the file when the source has $name', async ({ options }) => {
      const source = await startFileSource({ root: file.dir, ...options });
      try {
        const key = `streamed-${options.head === false ? 'chunked' : 'plain'}.bin`;
        const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, key);
        const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
        expect(record.error).toBeUndefined();
        expect(record.result).toMatchObject({
          size: 20 * MIB + 12_345,
          checksum: expectedChecksum,
          partCount: 5,
        });
        expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
          sha256: file.sha256,
          size: 20 * MIB + 12_345,
        });
        // One GET for the bytes (after a HEAD, or a range probe the origin answered with everything).
        const fullGets = source.requests.filter((r) => r.method === 'GET' && !r.range);
        expect(fullGets).toHaveLength(1);
        expect(await harness.openUploads()).toEqual([]);
      } finally {
        await source.close();
      }
    });

    it('writes an empty file with a plain PutObject', async () => {
      const source = await startFileSource({ root: file.dir });
      try {
        const id = await harness.submit({ type: 'http', url: `${source.url}/empty.bin` }, 'empty.bin');
        const record = await harness.waitForStatus(id, ['completed', 'failed']);
        expect(record.result).toMatchObject({ size: 0, partCount: 0, checksum: 'crc32:00000000' });
        expect(await objectSha256(harness.s3, harness.bucket, 'empty.bin')).toMatchObject({ size: 0 });
      } finally {
        await source.close();
      }
    });
  },
);

// Not about S3: the job is refused before any request is made, so the default server will do.
describe('bad jobs', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await Harness.create();
    // Closed by harness.close().
    await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '2' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('fails a job whose data does not parse with VALIDATION_FAILED, without retrying', async () => {
    const id = newImportId();
    const request = sealRequest(
      {
        source: { type: 'http', url: 'http://127.0.0.1:1/x' },
        destination: { bucket: harness.bucket, key: 'k' },
      },
      harness.secrets,
    );
    await harness.store.createMany([harness.store.newRecord(id, 'tenant-test', request)]);
    // A job whose source type no worker knows and whose destination is empty.
    await harness.queue.add(
      IMPORT_JOB_NAME,
      { importId: id, tenant: 'tenant-test', request: { source: { type: 'ftp' }, destination: {} } },
      { ...IMPORT_JOB_OPTIONS, jobId: id },
    );
    const record = await harness.waitForStatus(id, ['failed']);
    expect(record.error).toMatchObject({ code: ErrorCode.VALIDATION_FAILED, attempts: 1 });
    expect(await harness.waitForJobState(id, ['failed'])).toBe('failed');
    expect((await harness.queue.getJob(id))?.attemptsMade).toBe(1);
  });
});
