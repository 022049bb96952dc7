import { objectSha256, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type NullSinkProcess, startNullSink } from './testing/null-sink-process.ts';
import { type S3FaultProxy, type S3ProxyRequest, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const MIB = 1024 * 1024;
const SIZE = 15 * MIB; // three 5 MiB parts

/** The first try of part 2 has one byte changed on its way to S3. */
const secondPartOnce = (request: S3ProxyRequest) =>
  request.operation === 'UploadPart' && request.partNumber === 2 && request.attempt === 1;

/**
 * A part whose bytes change between the worker and S3 is refused by S3 or caught by the worker
 * before completing, in whatever mode the endpoint is written in, and sent again: the object is
 * the source's, byte for byte.
 */
describe.for(s3Backends())('a part corrupted on its way to $label', (backend: S3TestBackend) => {
  let harness: Harness;
  let served: ServedFile;
  const proxies: S3FaultProxy[] = [];

  beforeAll(async () => {
    harness = await Harness.create(backend);
    served = await startServedFile(SIZE);
  });

  afterAll(async () => {
    await harness?.close();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await served?.close();
  });

  // fauxqs verifies nothing sent with a part: only the ETag (auto picks etag there) can catch it.
  const modes = backend.name === 'radosgw' ? ['auto', 'signed', 'header', 'etag'] : ['auto', 'etag'];
  it.for(modes)('S3_CHECKSUM_MODE=%s: is sent again and the object is byte-identical', async (mode) => {
    const proxy = await startS3FaultProxy({ upstream: backend.endpoint, corrupt: secondPartOnce });
    proxies.push(proxy);
    const worker = await harness.startWorker(
      { S3_ENDPOINT: proxy.url, S3_CHECKSUM_MODE: mode, PART_SIZE_MIB: '5' },
      { random: () => 0 },
    );
    onTestFinished(() => worker.close());
    const key = `corrupted-${mode}.bin`;
    const id = await harness.submit({ type: 'http', url: served.url }, key);
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });
    const tries = proxy.requests.filter((r) => r.operation === 'UploadPart' && r.partNumber === 2);
    expect(tries.map((r) => r.fault)).toEqual(['corrupted', undefined]);
    expect(await harness.openUploads()).toEqual([]);
  });
});

describe('a part corrupted on its way to a server that checks CRC-32 trailers (the bench null sink: trailer mode)', () => {
  let sink: NullSinkProcess;
  let served: ServedFile;
  let proxy: S3FaultProxy;
  let harness: Harness;

  beforeAll(async () => {
    sink = await startNullSink();
    served = await startServedFile(SIZE);
    proxy = await startS3FaultProxy({ upstream: sink.endpoint, corrupt: secondPartOnce });
    harness = await Harness.create();
  });

  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await served?.close();
    sink?.close();
  });

  it('is refused by S3 (BadDigest) and sent again', async () => {
    await harness.startWorker({ S3_ENDPOINT: proxy.url, PART_SIZE_MIB: '5' }, { random: () => 0 });
    // The null sink keeps no bytes and accepts any bucket: the import goes to one that exists there.
    const id = await harness.submit({ type: 'http', url: served.url }, 'trailer.bin');
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1, result: { size: SIZE } });
    const tries = proxy.requests.filter((r) => r.operation === 'UploadPart' && r.partNumber === 2);
    expect(tries.map((r) => [r.status, r.fault])).toEqual([
      [400, 'corrupted'],
      [200, undefined],
    ]);
    expect(await sink.stats()).toMatchObject({ checksumFailures: 1, openUploads: 0 });
  });
});
