import { objectSha256, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { startThrottledFile, type ThrottledFile } from './testing/throttled-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 60 * MIB;
const PART = 5 * MIB;
const PARTS = SIZE / PART;
const LANES = 2;

/** Part number of a `bytes=a-b` range header on the 5 MiB plan. */
const partOf = (range: string | undefined): number =>
  Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1]) / PART + 1;

interface KillCase {
  backend: S3TestBackend;
  /** What the proxy in front of the server does with ListParts (see S3FaultProxyOptions). */
  listParts: 'pass' | 'emulate';
  title: string;
}

/**
 * fauxqs as it is (no ListParts: the checkpoint alone), fauxqs with ListParts emulated by the proxy,
 * and RGW's own ListParts passed through: the resume on a production server's real ListParts.
 */
const CASES: KillCase[] = s3Backends().flatMap((backend): KillCase[] =>
  backend.name === 'fauxqs'
    ? [
        { backend, listParts: 'pass', title: `${backend.label} (no ListParts: the checkpoint alone)` },
        { backend, listParts: 'emulate', title: `${backend.label} with ListParts emulated by the proxy` },
      ]
    : [{ backend, listParts: 'pass', title: `${backend.label} (its own ListParts)` }],
);

describe.for(CASES)('SIGKILL mid-transfer, real worker processes, $title', ({ backend, listParts }) => {
  /** Whether the resumed worker gets a real ListParts answer (the server's or the proxy's). */
  const listed = listParts === 'emulate' || backend.name === 'radosgw';
  let harness: Harness;
  let slow: ThrottledFile;
  let s3: S3FaultProxy;
  const processes: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create(backend);
    slow = await startThrottledFile(SIZE, 3 * MIB);
    // Passes everything through (ListParts too, unless emulated); it records which upload every
    // request belonged to.
    s3 = await startS3FaultProxy({ upstream: backend.endpoint, listParts });
  });

  afterAll(async () => {
    await Promise.all(processes.map((worker) => worker.stop()));
    await harness?.close();
    await s3?.close();
    await slow?.close();
  });

  const spawnWorker = async (): Promise<WorkerProcess> => {
    const worker = spawnWorkerProcess(
      harness.env({
        S3_ENDPOINT: s3.url,
        PART_SIZE_MIB: '5',
        PART_CONCURRENCY: String(LANES),
        WORKER_CONCURRENCY: '1',
        // A dead worker's job is back in the queue within seconds (production: 30 s).
        JOB_LOCK_MS: '4000',
      }),
    );
    processes.push(worker);
    await worker.ready;
    return worker;
  };

  it('continues the same multipart upload and fetches only the parts that were not finished', async () => {
    const first = await spawnWorker();
    const id = await harness.submit({ type: 'http', url: slow.url }, 'killed.bin');
    // A third of the parts done, and the ones in flight well under way: a kill now loses them.
    await harness.waitForCheckpointedParts(id, 4, {
      inFlight: { partSize: PART, bytes: PART },
    });

    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    const atKill = await harness.checkpoints.load(id);
    const checkpointed = new Set(atKill?.parts.keys());
    const requestsBeforeKill = slow.proxy.requests.length;
    expect(checkpointed.size).toBeGreaterThanOrEqual(4);
    expect(checkpointed.size).toBeLessThan(PARTS);
    expect((await harness.store.get(id))?.status).toBe('running'); // nobody said otherwise

    slow.proxy.bytesPerSecond = Number.POSITIVE_INFINITY;
    const second = await spawnWorker();
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    const resumedAfterMs = Date.now() - killedAt;
    expect(record.error, first.output() + second.output()).toBeUndefined();
    // Stalled, not failed: the kill cost no attempt.
    expect(record).toMatchObject({ status: 'completed', attempts: 1, bytesDone: SIZE });
    expect(record.result?.partCount).toBe(PARTS);
    expect(await objectSha256(harness.s3, harness.bucket, 'killed.bin')).toEqual({
      sha256: slow.file.sha256,
      size: SIZE,
    });

    // The same multipart upload, created once and continued by the second process.
    const uploadId = atKill?.uploadId;
    const created = s3.requests.filter((r) => r.operation === 'CreateMultipartUpload');
    expect(created).toHaveLength(1);
    const uploads = s3.requests.filter(
      (r) => r.operation === 'UploadPart' || r.operation === 'CompleteMultipartUpload',
    );
    expect(new Set(uploads.map((r) => r.uploadId))).toEqual(new Set([uploadId]));
    const resumed = second.logged('resuming from checkpoint');
    expect(resumed).toMatchObject([{ uploadId }]);
    const adopted = (resumed[0]?.finishedParts as number) - checkpointed.size;
    // The resumed attempt asked S3 what the upload holds; only a server with ListParts (or the
    // emulating proxy) answered with the upload (fauxqs takes it for a GetObject of the key).
    const listings = s3.requests.filter((r) => r.operation === 'ListParts');
    expect(listings).toHaveLength(1);
    if (listed) expect(listings[0]?.status).toBe(200);
    // S3_CHECKSUM_MODE=auto picks etag on fauxqs and signed on RGW: a part S3 holds but the checkpoint lacks
    // has no CRC-32 S3 verified, so it is fetched again, never adopted, whatever ListParts says.
    expect(adopted).toBe(0);

    // The source: every part after the kill was one the checkpoint did not have, each fetched once;
    // the only bytes fetched twice belong to parts that were in flight when the worker died.
    const before = slow.proxy.requests.slice(0, requestsBeforeKill).filter((r) => r.range);
    const after = slow.proxy.requests.slice(requestsBeforeKill).filter((r) => r.range);
    const afterParts = after.map((r) => partOf(r.range));
    expect(new Set(afterParts).size).toBe(afterParts.length);
    expect(afterParts.filter((n) => checkpointed.has(n))).toEqual([]);
    expect(afterParts.length).toBe(PARTS - checkpointed.size - adopted);
    const startedBefore = new Set(before.map((r) => partOf(r.range)));
    const refetched = after.filter((r) => startedBefore.has(partOf(r.range)));
    expect(refetched.length).toBeLessThanOrEqual(LANES);
    const refetchedBytes = refetched.reduce((sum, r) => sum + r.bytes, 0);
    expect(refetchedBytes).toBeLessThanOrEqual(LANES * PART);
    // A part uploaded but not yet checkpointed when the worker died would be adopted through
    // ListParts in trailer mode (none here, see above): its bytes were read once and kept, not waste.
    const adoptedParts = new Set(
      Array.from({ length: PARTS }, (_, i) => i + 1).filter(
        (n) => !checkpointed.has(n) && !afterParts.includes(n),
      ),
    );
    expect(adoptedParts.size).toBe(adopted);
    const wastedBeforeKill = before
      .filter((r) => !checkpointed.has(partOf(r.range)) && !adoptedParts.has(partOf(r.range)))
      .reduce((sum, r) => sum + r.bytes, 0);
    const servedAfter = after.reduce((sum, r) => sum + r.bytes, 0);
    expect(servedAfter).toBe(SIZE - (checkpointed.size + adopted) * PART);
    const servedInAll = slow.proxy.requests.reduce((sum, r) => sum + r.bytes, 0);
    expect(servedInAll - SIZE).toBe(wastedBeforeKill);
    expect(wastedBeforeKill).toBeLessThanOrEqual(LANES * PART);

    console.info(
      `[sigkill/${backend.name}/${listParts}] checkpointed at kill: ${checkpointed.size}/${PARTS} parts; adopted from ListParts: ${adopted}; ` +
        `parts fetched again: ${refetched.length} (${(refetchedBytes / MIB).toFixed(1)} MiB), of which ` +
        `${(wastedBeforeKill / MIB).toFixed(1)} MiB had been read before the kill; source served ` +
        `${(servedInAll / MIB).toFixed(1)} MiB for a ${SIZE / MIB} MiB file; kill to completed: ${resumedAfterMs} ms`,
    );
    expect(await harness.openUploads()).toEqual([]);
    expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
  });
});
