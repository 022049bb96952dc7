import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createLogger, ErrorCode } from '@ferry/shared';
import { logCapture, objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB; // parts of 5, 5 and 2 MiB

/**
 * An S3 server that does not know aws-chunked bodies and stores their framing as the object's bytes
 * (s3rver did): `auto` notices it in its probe and writes plain parts checked by their ETags; a
 * trailer forced on it makes an object of the wrong size, which is found, deleted, and reported.
 */
describe('an S3 server that stores aws-chunked framing as bytes (fauxqs behind a proxy playing s3rver)', () => {
  let harness: Harness;
  let served: ServedFile;
  let proxy: S3FaultProxy;

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(SIZE);
    proxy = await startS3FaultProxy({ upstream: harness.backend.endpoint, ignoresAwsChunked: true });
  });

  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await served?.close();
  });

  it('auto: finds that trailers are not decoded, writes in etag mode, and the object is byte-identical', async () => {
    const logs = logCapture();
    const worker = await harness.startWorker(
      { S3_ENDPOINT: proxy.url, PART_SIZE_MIB: '5' },
      { logger: createLogger('worker', 'info', logs.stream) },
    );
    onTestFinished(() => worker.close());
    const id = await harness.submit({ type: 'http', url: served.url }, 'auto.bin');
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1, result: { size: SIZE, partCount: 3 } });
    expect(await objectSha256(harness.s3, harness.bucket, 'auto.bin')).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });
    expect(logs.lines.find((line) => line.msg === 'S3 checksum mode')).toMatchObject({
      checksumMode: 'etag',
      capabilities: { decodesTrailer: false, md5Etags: true },
    });
  });

  it('trailer forced: the object S3 made is not the source (framing stored), so it is deleted and the import fails', async () => {
    const worker = await harness.startWorker({
      S3_ENDPOINT: proxy.url,
      S3_CHECKSUM_MODE: 'trailer',
      PART_SIZE_MIB: '5',
    });
    onTestFinished(() => worker.close());
    const id = await harness.submit({ type: 'http', url: served.url }, 'trailer.bin');
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: ErrorCode.SIZE_MISMATCH, message: expect.stringContaining('the object was deleted') },
    });
    await expect(
      harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: 'trailer.bin' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect(await harness.openUploads()).toEqual([]);
  });
});
