import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type FileSourceHandle,
  LOCAL_S3_CREDENTIALS,
  localS3Client,
  startFileSource,
} from '@ferry/local-stack';
import { FAILPOINT_EXIT_CODE, type OverwritePolicy, type Source } from '@ferry/shared';
import {
  objectSha256,
  randomFile,
  type S3BackendName,
  s3Backends,
  startHeldSource,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type NullSinkProcess, startNullSink } from './testing/null-sink-process.ts';
import { scrapeMetrics } from './testing/scrape-metrics.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 10 * MIB + 4321; // two 5 MiB parts and a short third

/**
 * Which writes each server refuses with If-None-Match: * when the key exists (what the endpoint
 * probe finds): the rest are guarded by a HEAD, which is not atomic.
 */
const CONDITIONAL: Record<S3BackendName, { put: boolean; complete: boolean }> = {
  fauxqs: { put: false, complete: false },
  radosgw: { put: true, complete: false },
};

const OLD = Buffer.from('the object the key held before the import');

const file = randomFile(SIZE);
const bytes = readFileSync(join(file.dir, file.name));
const md5 = createHash('md5').update(bytes).digest();
// Same size, other bytes: what `if-different` must not take for the same file.
const other = Buffer.from(bytes).reverse();
writeFileSync(join(file.dir, 'other.bin'), other);
writeFileSync(join(file.dir, 'empty.bin'), '');
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

describe.for(s3Backends())('overwrite policies against $label (real worker)', (backend) => {
  const conditional = CONDITIONAL[backend.name];
  let harness: Harness;
  let ranged: FileSourceHandle;
  let unranged: FileSourceHandle;
  let metricsUrl: string;

  beforeAll(async () => {
    harness = await Harness.create(backend);
    ranged = await startFileSource({ root: file.dir });
    unranged = await startFileSource({ root: file.dir, ranges: false });
    // Closed by harness.close().
    metricsUrl = (await harness.startWorker({ PART_SIZE_MIB: '5' })).metricsUrl as string;
  });

  afterAll(async () => {
    await harness?.close();
    await Promise.all([ranged?.close(), unranged?.close()]);
  });

  const putObject = (key: string, body: Buffer) =>
    harness.s3.send(new PutObjectCommand({ Bucket: harness.bucket, Key: key, Body: body }));
  const objectBytes = async (key: string) => {
    const got = await harness.s3.send(new GetObjectCommand({ Bucket: harness.bucket, Key: key }));
    return Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  };
  const run = async (source: Source, key: string, overwrite?: OverwritePolicy) => {
    const id = await harness.submitRequest({
      source,
      destination: { bucket: harness.bucket, key },
      ...(overwrite ? { overwrite } : {}),
    });
    return harness.waitForStatus(id, ['completed', 'failed'], 60_000);
  };
  const rangedFile = (name = file.name): Source => ({ type: 'http', url: `${ranged.url}/${name}` });

  it('always (also the default) replaces the object the key holds', async () => {
    for (const overwrite of [undefined, 'always'] as const) {
      const key = `always-${overwrite ?? 'default'}.bin`;
      await putObject(key, OLD);
      const record = await run(rangedFile(), key, overwrite);
      expect(record.error).toBeUndefined();
      expect(record.result).toMatchObject({ size: SIZE, partCount: 3 });
      expect(record.result?.skipped).toBeUndefined();
      expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
        sha256: file.sha256,
        size: SIZE,
      });
    }
  });

  it('never leaves an object the key holds (ranged, streamed, empty): completed as skipped, no byte read', async () => {
    const sources: Record<string, Source> = {
      ranged: rangedFile(),
      streamed: { type: 'http', url: `${unranged.url}/${file.name}` },
      empty: rangedFile('empty.bin'),
    };
    for (const [path, source] of Object.entries(sources)) {
      const key = `never-taken-${path}.bin`;
      await putObject(key, OLD);
      const gets = [...ranged.requests, ...unranged.requests].filter((r) => r.method === 'GET').length;
      const record = await run(source, key, 'never');
      expect(record, path).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: {
          skipped: true,
          skipReason: 'exists',
          existenceCheck: 'head',
          size: OLD.length,
          partCount: 0,
        },
      });
      expect(await objectBytes(key), path).toEqual(OLD);
      expect([...ranged.requests, ...unranged.requests].filter((r) => r.method === 'GET').length, path).toBe(
        gets,
      );
    }
    expect(await harness.openUploads()).toEqual([]);
    // Counted apart from the imports that wrote (the counter moves just after the record turns final).
    const skipped = 'ferry_worker_imports_finished_total{outcome="skipped",code="none"}';
    await expect.poll(async () => (await scrapeMetrics(metricsUrl)).get(skipped)).toBe(3);
  });

  it(`never writes a free key, conditionally where the server can (${JSON.stringify(conditional)})`, async () => {
    const check = (atomic: boolean) => (atomic ? 'conditional-write' : 'head');
    const multipart = await run(rangedFile(), 'never-free.bin', 'never');
    expect(multipart.error).toBeUndefined();
    expect(multipart.result).toMatchObject({
      size: SIZE,
      partCount: 3,
      existenceCheck: check(conditional.complete),
    });
    expect(multipart.result?.skipped).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'never-free.bin')).toEqual({
      sha256: file.sha256,
      size: SIZE,
    });
    const empty = await run(rangedFile('empty.bin'), 'never-free-empty.bin', 'never');
    expect(empty.result).toMatchObject({ size: 0, existenceCheck: check(conditional.put) });
    expect(empty.result?.skipped).toBeUndefined();
  });

  it('never, when the key is taken while the parts move: skipped at Complete, the other object kept, no upload left', async () => {
    const held = await startHeldSource(ranged.url, SIZE - 100);
    try {
      const key = 'never-raced.bin';
      const id = await harness.submitRequest({
        source: { type: 'http', url: `${held.url}/${file.name}` },
        destination: { bucket: harness.bucket, key },
        overwrite: 'never',
      });
      await held.held;
      await putObject(key, OLD);
      held.release();
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: {
          skipped: true,
          skipReason: 'exists',
          // Refused by the Complete itself where the server can; else seen by the HEAD before it.
          existenceCheck: conditional.complete ? 'conditional-write' : 'head',
          size: OLD.length,
        },
      });
      expect(await objectBytes(key)).toEqual(OLD);
      expect(await harness.openUploads()).toEqual([]);
    } finally {
      await held.close();
    }
  });

  it('never: an object this import completed before its worker died is its own, not a reason to skip', async () => {
    // A queue of its own: the suite's worker must not take this import.
    const own = await Harness.create(backend);
    const workers: WorkerProcess[] = [];
    const spawn = (failpoints: Record<string, string> = {}) => {
      // The dead worker's job comes free within seconds.
      const worker = spawnWorkerProcess(own.env({ PART_SIZE_MIB: '5', JOB_LOCK_MS: '2000', ...failpoints }));
      workers.push(worker);
      return worker;
    };
    try {
      const first = spawn({ FERRY_FAILPOINTS: 'upload.after-complete=exit' });
      await first.ready;
      const key = 'never-own.bin';
      const id = await own.submitRequest({
        source: rangedFile(),
        destination: { bucket: own.bucket, key },
        overwrite: 'never',
      });
      expect(await first.exited).toEqual({ code: FAILPOINT_EXIT_CODE, signal: null });
      const second = spawn();
      const record = await own.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error, second.output()).toBeUndefined();
      expect(record.result).toMatchObject({ size: SIZE, partCount: 3 });
      expect(record.result?.skipped).toBeUndefined();
      expect(await objectSha256(own.s3, own.bucket, key)).toEqual({ sha256: file.sha256, size: SIZE });
    } finally {
      for (const worker of workers) await worker.stop();
      await own.close();
    }
  });

  it('if-different skips an object with the same size and checksum, and writes one that differs', async () => {
    const key = 'if-different.bin';
    const withMd5 = (name: string, digest: Buffer): Source => ({
      ...rangedFile(name),
      expected: { md5: digest.toString('base64') },
    });
    // Ferry records the checksum it verified on the object it writes.
    const first = await run(withMd5(file.name, md5), key, 'if-different');
    expect(first.result?.skipped).toBeUndefined();
    const head = await harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key }));
    expect(head.Metadata).toMatchObject({ 'ferry-source-checksum': `md5:${md5.toString('hex')}` });

    const again = await run(withMd5(file.name, md5), key, 'if-different');
    expect(again).toMatchObject({
      status: 'completed',
      result: { skipped: true, skipReason: 'identical', size: SIZE, partCount: 0 },
    });
    expect(again.result?.existenceCheck).toBeUndefined();

    const otherMd5 = createHash('md5').update(other).digest();
    const changed = await run(withMd5('other.bin', otherMd5), key, 'if-different');
    expect(changed.result?.skipped).toBeUndefined();
    expect(await objectBytes(key)).toEqual(other);

    // The same size and nothing to compare a checksum with: not sure, so written.
    const unsure = await run(rangedFile(), key, 'if-different');
    expect(unsure.result?.skipped).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({ sha256: file.sha256, size: SIZE });
  });

  it('if-different compares an expected MD5 with the ETag of a single-part object Ferry did not write', async () => {
    const key = 'if-different-etag.bin';
    await putObject(key, bytes);
    const record = await run(
      { ...rangedFile(), expected: { md5: md5.toString('hex') } },
      key,
      'if-different',
    );
    expect(record.result).toMatchObject({ skipped: true, skipReason: 'identical', size: SIZE });
    // Another file's MD5 against that ETag: different, so written (and verified against it).
    const otherMd5 = createHash('md5').update(other).digest('hex');
    const written = await run(
      { ...rangedFile('other.bin'), expected: { md5: otherMd5 } },
      key,
      'if-different',
    );
    expect(written.result?.skipped).toBeUndefined();
    expect(await objectBytes(key)).toEqual(other);
  });
});

describe('overwrite never against a server that refuses a conditional Complete, as AWS S3 does (the bench null sink)', () => {
  let sink: NullSinkProcess;
  let source: FileSourceHandle;
  let harness: Harness;
  let s3: S3Client;

  beforeAll(async () => {
    sink = await startNullSink();
    source = await startFileSource({ root: file.dir });
    harness = await Harness.create();
    s3 = localS3Client(sink.endpoint, LOCAL_S3_CREDENTIALS);
    // Closed by harness.close().
    await harness.startWorker({ S3_ENDPOINT: sink.endpoint, PART_SIZE_MIB: '5' });
  });

  afterAll(async () => {
    await harness?.close();
    await source?.close();
    s3?.destroy();
    sink?.close();
  });

  it('writes a free key with a conditional Complete, and skips one taken while the parts move', async () => {
    // The null sink keeps no bytes and accepts any bucket: the imports go to one that exists there.
    const free = await harness.submitRequest({
      source: { type: 'http', url: `${source.url}/${file.name}` },
      destination: { bucket: harness.bucket, key: 'never-free.bin' },
      overwrite: 'never',
    });
    expect((await harness.waitForStatus(free, ['completed', 'failed'], 60_000)).result).toMatchObject({
      size: SIZE,
      partCount: 3,
      existenceCheck: 'conditional-write',
    });

    const held = await startHeldSource(source.url, SIZE - 100);
    try {
      const id = await harness.submitRequest({
        source: { type: 'http', url: `${held.url}/${file.name}` },
        destination: { bucket: harness.bucket, key: 'never-raced.bin' },
        overwrite: 'never',
      });
      await held.held;
      await s3.send(new PutObjectCommand({ Bucket: harness.bucket, Key: 'never-raced.bin', Body: OLD }));
      held.release();
      const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: {
          skipped: true,
          skipReason: 'exists',
          existenceCheck: 'conditional-write',
          size: OLD.length,
        },
      });
    } finally {
      await held.close();
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: 'never-raced.bin' }));
    expect(head.ContentLength).toBe(OLD.length);
    // The refused upload was aborted.
    expect(await sink.stats()).toMatchObject({ openUploads: 0 });
  });
});
