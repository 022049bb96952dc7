import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { startFileSource } from '@ferry/local-stack';
import { objectSha256, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { formatCrc32 } from './transfer/crc32-combine.ts';

const MIB = 1024 * 1024;
const PART = 5 * MIB;

/** Sizes at the edges of part planning with 5 MiB parts, and the parts each takes. */
const CASES = [
  { name: 'empty', size: 0, parts: 0 },
  { name: 'one-byte', size: 1, parts: 1 },
  { name: 'exactly-one-part', size: PART, parts: 1 },
  { name: 'exact-multiple', size: 2 * PART, parts: 2 },
  { name: 'last-part-one-byte', size: 2 * PART + 1, parts: 3 },
];

// The same files for both servers; each server's suite has its own file server and request log.
const dir = mkdtempSync(join(tmpdir(), 'ferry-sizes-'));
const files = new Map<string, { sha256: string; crc: number }>();
for (const { name, size } of CASES) {
  const data = randomBytes(size);
  writeFileSync(join(dir, name), data);
  files.set(name, { sha256: createHash('sha256').update(data).digest('hex'), crc: crc32(data) });
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.for(s3Backends())(
  'part sizes at the edges (5 MiB parts, $label and a real HTTP source)',
  (backend: S3TestBackend) => {
    let harness: Harness;
    let source: Awaited<ReturnType<typeof startFileSource>>;

    beforeAll(async () => {
      harness = await Harness.create(backend);
      source = await startFileSource({ root: dir });
      // Closed by harness.close().
      await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '2', WORKER_CONCURRENCY: '5' });
    });

    afterAll(async () => {
      await harness?.close();
      await source?.close();
    });

    it('imports each byte for byte, with the right part count, CRC-32 and source metadata', async () => {
      const ids = new Map<string, string>();
      for (const { name } of CASES) {
        ids.set(
          name,
          await harness.submit({ type: 'http', url: `${source.url}/${name}?token=secret` }, name),
        );
      }
      for (const { name, size, parts } of CASES) {
        const record = await harness.waitForStatus(ids.get(name) as string, ['completed', 'failed'], 60_000);
        expect(record.error, name).toBeUndefined();
        const expected = files.get(name) as { sha256: string; crc: number };
        expect(await objectSha256(harness.s3, harness.bucket, name), name).toEqual({
          sha256: expected.sha256,
          size,
        });
        expect(record.result, name).toMatchObject({
          size,
          partCount: parts,
          checksum: formatCrc32(expected.crc),
        });
        const head = await harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: name }));
        // Which version of which source the object was made from (the URL without its query
        // string), and by which import.
        expect(head.Metadata, name).toEqual({
          'ferry-import-id': ids.get(name),
          'ferry-source-version': expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+"$/),
          'ferry-source-url': `${source.url}/${name}`,
        });
      }
      const ranged = source.requests.filter((request) => request.range);
      // Every part fetched once: 0 + 1 + 1 + 2 + 3 ranged GETs.
      expect(ranged).toHaveLength(7);
      expect(ranged).toContainEqual(
        expect.objectContaining({ path: '/last-part-one-byte', range: `bytes=${2 * PART}-${2 * PART}` }),
      );
      expect(await harness.openUploads()).toEqual([]);
    });
  },
);
