import { rmSync } from 'node:fs';
import { StopTaskCommand } from '@aws-sdk/client-ecs';
import { type FileSourceHandle, startFileSource } from '@ferry/local-stack';
import { type HeldSource, objectSha256, randomFile, startHeldSource } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER, type EcsBox, startEcsBox } from './testing/ecs-box.ts';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB;
const DRAIN_TIMEOUT_S = 4;

describe('ecs mode: a busy task stopped like a Spot reclaim (real autoscaler, stand-in, workers)', () => {
  const file = randomFile(SIZE);
  let source: FileSourceHandle;
  let hold: HeldSource;
  let box: EcsBox | undefined;

  beforeAll(async () => {
    source = await startFileSource({ root: file.dir });
    // Mid-way through the second 5 MiB part: the first is uploaded and checkpointed by then.
    hold = await startHeldSource(source.url, 6 * MIB);
  });

  afterAll(async () => {
    await hold?.close();
    await box?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('the stopped task hands its import back within its drain, the service replaces it, and the new task finishes it byte-identical', async () => {
    box = await startEcsBox({
      desiredCount: 1,
      autoscaler: { MIN_WORKERS: '1', MAX_WORKERS: '2' },
      worker: { PART_SIZE_MIB: '5', PART_CONCURRENCY: '1', DRAIN_TIMEOUT_S: String(DRAIN_TIMEOUT_S) },
    });
    const { service, store, taskLines } = box;
    const logged = (msg: string) => taskLines.filter((line) => line.msg === msg);
    await expect.poll(() => logged('worker ready').length, { timeout: 30_000 }).toBe(1);

    const [id = ''] = await box.submit([{ url: `${hold.url}/${file.name}`, key: 'reclaimed.bin' }]);
    await hold.held;
    // Certainly busy: its import is stalled mid-part, and it has protection on.
    await expect.poll(() => service.tasks().filter((task) => task.protected).length).toBe(1);
    const busy = service.tasks().find((task) => task.protected);
    if (!busy) throw new Error('expected a protected task');

    // StopTask ignores protection, as a Spot reclaim does: SIGTERM, SIGKILL after stopTimeout.
    await box.ecs.send(
      new StopTaskCommand({ cluster: CLUSTER, task: busy.arn, reason: 'Spot interruption' }),
    );
    await expect.poll(() => service.task(busy.id)?.lastStatus, { timeout: 20_000 }).toBe('STOPPED');
    const stoppedTask = service.task(busy.id);
    expect(stoppedTask).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'Spot interruption',
      exitCode: 0,
    });
    const drainMs = (stoppedTask?.stoppedAt ?? 0) - (stoppedTask?.stoppingAt ?? 0);
    expect(drainMs).toBeLessThan((DRAIN_TIMEOUT_S + 2) * 1000);
    const handedBack = logged('import handed back to the queue');
    expect(handedBack).toMatchObject([{ task: busy.id, importId: id }]);
    expect((await store.get(id))?.status).toMatch(/^(queued|running)$/);

    hold.release();
    const record = await expect
      .poll(async () => (await store.get(id))?.status, { timeout: 60_000, interval: 250 })
      .toBe('completed')
      .then(() => store.get(id));
    expect(record).toMatchObject({ status: 'completed', attempts: 1, bytesDone: SIZE });
    expect(record?.error).toBeUndefined();
    expect(await objectSha256(box.s3, box.bucket, 'reclaimed.bin')).toEqual({
      sha256: file.sha256,
      size: SIZE,
    });

    // Another task, the service's replacement, resumed the same upload from the checkpoint.
    const resumed = logged('resuming from checkpoint');
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.task).not.toBe(busy.id);
    expect(Number(resumed[0]?.finishedParts)).toBeGreaterThanOrEqual(1);
    expect(logged('import completed')).toMatchObject([{ task: resumed[0]?.task, importId: id }]);
    expect(
      service
        .tasks()
        .map((task) => task.lastStatus)
        .sort(),
    ).toEqual(['RUNNING', 'STOPPED']);
    console.info(
      `[autoscaler/ecs-spot] busy task stopped in ${drainMs} ms (exit 0), import handed back with ` +
        `${resumed[0]?.finishedParts} of 3 parts checkpointed, finished by the replacement task`,
    );
  });
});
