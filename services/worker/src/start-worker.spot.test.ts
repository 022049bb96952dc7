import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { objectSha256, randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type ImdsStandIn, startImdsStandIn } from './testing/imds-stand-in.ts';
import { startThrottleProxy, type ThrottleProxy } from './testing/throttle-proxy.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 30 * MIB;

describe('EC2 Spot interruption notice (real worker process, IMDSv2 stand-in)', () => {
  const file = randomFile(SIZE);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let proxy: ThrottleProxy;
  let imds: ImdsStandIn;
  const processes: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({ root: file.dir });
    proxy = await startThrottleProxy(source.url, 2 * MIB);
    imds = await startImdsStandIn();
  });

  afterAll(async () => {
    await Promise.all(processes.map((worker) => worker.stop()));
    await harness?.close();
    await imds?.close();
    await proxy?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('drains on the notice as on SIGTERM: the job goes back to the queue and the process exits 0 by itself', async () => {
    const worker = spawnWorkerProcess(
      harness.env({
        PART_SIZE_MIB: '5',
        PART_CONCURRENCY: '2',
        SPOT_WATCH: '1',
        IMDS_URL: imds.url,
        SPOT_POLL_MS: '200',
      }),
    );
    processes.push(worker);
    await worker.ready;
    const id = await harness.submit({ type: 'http', url: `${proxy.url}/${file.name}` }, 'spot.bin');
    await harness.waitForCheckpointedParts(id, 1, {});
    const polled = imds.requests.filter((r) => r.path === '/latest/meta-data/spot/instance-action');
    expect(polled.length).toBeGreaterThan(0);
    expect(polled.every((r) => r.status === 404)).toBe(true); // with a valid token, and no notice yet

    const noticeAt = Date.now();
    imds.interrupt({ action: 'terminate', time: new Date(noticeAt + 120_000).toISOString() });
    // No signal sent: the notice alone drains the worker, which then has nothing left to run.
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const exitMs = Date.now() - noticeAt;
    expect(worker.logged('spot interruption notice')).toMatchObject([{ notice: { action: 'terminate' } }]);
    expect(worker.logged('import handed back to the queue')).toHaveLength(1);

    const job = await harness.queue.getJob(id);
    expect(['waiting', 'delayed']).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0);
    expect(await harness.store.get(id)).toMatchObject({ status: 'queued' });
    const checkpoint = await harness.checkpoints.load(id);

    proxy.bytesPerSecond = Number.POSITIVE_INFINITY;
    const next = await harness.startWorker({ PART_SIZE_MIB: '5' });
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await objectSha256(harness.s3, harness.bucket, 'spot.bin')).toEqual({
      sha256: file.sha256,
      size: SIZE,
    });
    console.info(
      `[spot] notice to exit 0: ${exitMs} ms; ${checkpoint?.parts.size} of 6 parts checkpointed at hand-back`,
    );
    expect(await harness.openUploads()).toEqual([]);
    await next.close();
  });
});
