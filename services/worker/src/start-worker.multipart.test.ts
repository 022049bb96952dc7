import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { startFileSource } from '@ferry/local-stack';
import { objectSha256, randomFile, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import { formatCrc32 } from './transfer/crc32-combine.ts';

const MIB = 1024 * 1024;

// One 100 MiB file for both servers; each server's suite has its own file server and request log.
const file = randomFile(100 * MIB);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

describe.for(s3Backends())(
  'multipart import into $label (real Redis and HTTP source)',
  (backend: S3TestBackend) => {
    let harness: Harness;
    let source: Awaited<ReturnType<typeof startFileSource>>;
    const ifRange: Array<string | undefined> = [];

    beforeAll(async () => {
      harness = await Harness.create(backend);
      source = await startFileSource({
        root: file.dir,
        intercept: (req) => {
          if (req.headers.range) ifRange.push(req.headers['if-range'] as string | undefined);
          return false;
        },
      });
    });

    afterAll(async () => {
      await harness?.close();
      await source?.close();
    });

    it('moves 100 MiB in 13 ranged, version-pinned parts and reports size, etag and CRC-32', async () => {
      const worker = await harness.startWorker({ PART_SIZE_MIB: '8', PART_CONCURRENCY: '4' });
      onTestFinished(() => worker.close());
      const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'big/file.bin');

      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(record.status).toBe('completed');
      expect(record.attempts).toBe(1);
      expect(record.bytesDone).toBe(100 * MIB);

      const stored = await objectSha256(harness.s3, harness.bucket, 'big/file.bin');
      expect(stored).toEqual({ sha256: file.sha256, size: 100 * MIB });
      const bytes = await readFile(join(file.dir, file.name));
      expect(record.result).toMatchObject({
        size: 100 * MIB,
        partCount: 13,
        checksum: formatCrc32(crc32(bytes)),
      });
      // RGW answers Complete with an empty ETag: this one is the HEAD's, the same multipart form.
      expect(record.result?.etag).toMatch(/-13"?$/);
      expect(record.result?.durationMs).toBeGreaterThan(0);

      const ranged = source.requests.filter((r) => r.method === 'GET' && r.range);
      expect(ranged).toHaveLength(13);
      expect(new Set(ranged.map((r) => r.range)).size).toBe(13);
      expect(ranged).toContainEqual(expect.objectContaining({ range: `bytes=${96 * MIB}-${100 * MIB - 1}` }));
      // Every ranged GET pinned the version seen by HEAD (the file server's ETag).
      expect(ifRange).toHaveLength(13);
      expect(new Set(ifRange).size).toBe(1);
      expect(ifRange[0]).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect(await harness.openUploads()).toEqual([]);
      expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    });
  },
);
