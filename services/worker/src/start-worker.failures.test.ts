import { rmSync } from 'node:fs';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { startFileSource } from '@ferry/local-stack';
import { ErrorCode, newImportId } from '@ferry/shared';
import { objectSha256, randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;
const PART_2 = `bytes=${8 * MIB}-${16 * MIB - 1}`;

/**
 * A worker in front of a 20 MiB file whose part 2 answers with the queued status codes, one per
 * request, before it is served normally.
 */
function faultyPartWorld() {
  const world = {
    file: randomFile(20 * MIB),
    harness: undefined as unknown as Harness,
    source: undefined as unknown as Awaited<ReturnType<typeof startFileSource>>,
    part2Faults: [] as number[],
  };
  beforeAll(async () => {
    world.harness = await Harness.create();
    world.source = await startFileSource({
      root: world.file.dir,
      intercept: (req, res) => {
        const status = req.headers.range === PART_2 ? world.part2Faults.shift() : undefined;
        if (status === undefined) return false;
        res.statusCode = status;
        res.end();
        return true;
      },
    });
    // Small fixed jitter: part retries take 0.1 + 0.2 + 0.4 + 0.8 s.
    await world.harness.startWorker({ PART_SIZE_MIB: '8' }, { random: () => 0.2 });
  });
  afterAll(async () => {
    await world.harness?.close();
    await world.source?.close();
    rmSync(world.file.dir, { recursive: true, force: true });
  });
  return world;
}

describe('source failures', () => {
  const world = faultyPartWorld();

  it('fails a missing file with SOURCE_NOT_FOUND at once, without retrying', async () => {
    const id = await world.harness.submit({ type: 'http', url: `${world.source.url}/missing.bin` });
    const record = await world.harness.waitForStatus(id, ['failed']);
    expect(record.error).toMatchObject({ code: ErrorCode.SOURCE_NOT_FOUND, attempts: 1 });
    expect(await world.harness.waitForJobState(id, ['failed'])).toBe('failed');
    expect((await world.harness.queue.getJob(id))?.attemptsMade).toBe(1);
    expect(await world.harness.openUploads()).toEqual([]);
  });

  it('fails on a 404 in the middle of the transfer and aborts the multipart upload', async () => {
    world.part2Faults = [404];
    const id = await world.harness.submit(
      { type: 'http', url: `${world.source.url}/${world.file.name}` },
      'gone-midway.bin',
    );
    const record = await world.harness.waitForStatus(id, ['failed', 'completed']);
    expect(record.error).toMatchObject({ code: ErrorCode.SOURCE_NOT_FOUND, attempts: 1 });
    expect(await world.harness.openUploads()).toEqual([]);
    expect(await world.harness.redis.exists(world.harness.checkpoints.key(id))).toBe(0);
  });

  it('retries a part the source answers with 5xx and completes byte-identical', async () => {
    world.part2Faults = [503, 500];
    const before = world.source.requests.length;
    const id = await world.harness.submit(
      { type: 'http', url: `${world.source.url}/${world.file.name}` },
      'flaky.bin',
    );
    const record = await world.harness.waitForStatus(id, ['failed', 'completed']);
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await objectSha256(world.harness.s3, world.harness.bucket, 'flaky.bin')).toEqual({
      sha256: world.file.sha256,
      size: 20 * MIB,
    });
    const part2Requests = world.source.requests.slice(before).filter((r) => r.range === PART_2);
    expect(part2Requests).toHaveLength(3);
    expect(world.part2Faults).toEqual([]);
  });
});

describe('resuming from a checkpoint', () => {
  const world = faultyPartWorld();

  it('retries the job after a part exhausts its tries, fetching only the parts not yet checkpointed', async () => {
    world.part2Faults = [503, 503, 503, 503, 503];
    const id = await world.harness.submit(
      { type: 'http', url: `${world.source.url}/${world.file.name}` },
      'resumed.bin',
      {
        backoff: { type: 'fixed', delay: 200 },
      },
    );
    const record = await world.harness.waitForStatus(id, ['completed', 'failed'], 30_000);
    expect(record).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await objectSha256(world.harness.s3, world.harness.bucket, 'resumed.bin')).toEqual({
      sha256: world.file.sha256,
      size: 20 * MIB,
    });
    const ranges = world.source.requests.filter((r) => r.range).map((r) => r.range);
    // Parts 1 and 3 landed in the first attempt and were not fetched again.
    expect(ranges.filter((r) => r === `bytes=0-${8 * MIB - 1}`)).toHaveLength(1);
    expect(ranges.filter((r) => r === `bytes=${16 * MIB}-${20 * MIB - 1}`)).toHaveLength(1);
    expect(ranges.filter((r) => r === PART_2)).toHaveLength(6);
    expect(await world.harness.openUploads()).toEqual([]);
  });

  it('starts over when the checkpoint is for another version of the source', async () => {
    const id = newImportId();
    const stale = await world.harness.s3.send(
      new CreateMultipartUploadCommand({ Bucket: world.harness.bucket, Key: 'moved.bin' }),
    );
    await world.harness.checkpoints.begin(id, {
      uploadId: stale.UploadId ?? '',
      bucket: world.harness.bucket,
      key: 'moved.bin',
      version: '"an-older-version"',
      size: 20 * MIB,
      partSize: 8 * MIB,
    });
    await world.harness.checkpoints.recordPart(id, { partNumber: 1, etag: '"x"', crc32: 1, size: 8 * MIB });
    await world.harness.submit(
      { type: 'http', url: `${world.source.url}/${world.file.name}` },
      'moved.bin',
      {},
      id,
    );
    const record = await world.harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.status).toBe('completed');
    expect(await objectSha256(world.harness.s3, world.harness.bucket, 'moved.bin')).toEqual({
      sha256: world.file.sha256,
      size: 20 * MIB,
    });
    // The stale upload was aborted, not left to cost storage.
    expect(await world.harness.openUploads()).toEqual([]);
  });
});

describe('SSRF policy at connect time', () => {
  const file = randomFile(1024);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({ root: file.dir });
    // A name that resolved to a public address when the import was submitted and to loopback now.
    const resolveAll = async (hostname: string) =>
      hostname === 'files.example.test' ? [{ address: '127.0.0.1', family: 4 }] : [];
    await harness.startWorker({ SOURCE_ALLOW_PRIVATE: '0' }, { resolveAll });
  });

  afterAll(async () => {
    await harness?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('refuses a name that resolves to a private address', async () => {
    const port = new URL(source.url).port;
    const id = await harness.submit({
      type: 'http',
      url: `http://files.example.test:${port}/${file.name}`,
    });
    const record = await harness.waitForStatus(id, ['failed', 'completed']);
    expect(record.error).toMatchObject({ code: ErrorCode.SOURCE_ADDRESS_REFUSED, attempts: 1 });
    expect(record.error?.message).toContain('127.0.0.1');
    expect(source.requests).toEqual([]);
  });

  it('refuses an IP-literal loopback URL', async () => {
    const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` });
    const record = await harness.waitForStatus(id, ['failed', 'completed']);
    expect(record.error).toMatchObject({ code: ErrorCode.SOURCE_ADDRESS_REFUSED, attempts: 1 });
    expect(source.requests).toEqual([]);
  });
});
