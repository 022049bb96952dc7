import { ErrorCode } from '@ferry/shared';
import { objectSha256, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ChecksumModeSetting } from './sink/checksum-mode.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB + 321; // three 5 MiB parts, the last one short

/**
 * What each S3 server does with each S3_CHECKSUM_MODE: an import either completes byte-identical or
 * fails on its first attempt with DESTINATION_UNSUPPORTED, leaving no object and no open upload.
 * Ceph RGW 16 does not decode aws-chunked trailers; fauxqs decodes them (and checks nothing).
 */
const OUTCOMES: Record<string, Record<ChecksumModeSetting, 'completed' | 'unsupported'>> = {
  fauxqs: { auto: 'completed', trailer: 'completed', header: 'completed', etag: 'completed' },
  radosgw: { auto: 'completed', trailer: 'unsupported', header: 'completed', etag: 'completed' },
};

describe.for(s3Backends())('S3_CHECKSUM_MODE against $label (real worker, ranged HTTP source)', (backend) => {
  let harness: Harness;
  let served: ServedFile;

  beforeAll(async () => {
    harness = await Harness.create(backend);
    served = await startServedFile(SIZE);
  });

  afterAll(async () => {
    await harness?.close();
    await served?.close();
  });

  const modes = Object.entries(OUTCOMES[backend.name] ?? {}) as [ChecksumModeSetting, string][];
  it.for(modes)('%s: %s', async ([mode, outcome]) => {
    const worker = await harness.startWorker({ S3_CHECKSUM_MODE: mode, PART_SIZE_MIB: '5' });
    onTestFinished(() => worker.close());
    const key = `mode-${mode}.bin`;
    const id = await harness.submit({ type: 'http', url: served.url }, key);
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    if (outcome === 'completed') {
      expect(record.error).toBeUndefined();
      expect(record).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: { size: SIZE, partCount: 3 },
      });
      expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
        sha256: served.file.sha256,
        size: SIZE,
      });
    } else {
      expect(record).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: {
          code: ErrorCode.DESTINATION_UNSUPPORTED,
          message: expect.stringContaining(`S3_CHECKSUM_MODE=${mode}`),
        },
      });
      await expect(objectSha256(harness.s3, harness.bucket, key)).rejects.toMatchObject({
        name: 'NoSuchKey',
      });
    }
    expect(await harness.openUploads()).toEqual([]);
  });
});
