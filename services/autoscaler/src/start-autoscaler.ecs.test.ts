import { rmSync } from 'node:fs';
import { type FileSourceHandle, startFileSource } from '@ferry/local-stack';
import type { ImportRecord } from '@ferry/shared';
import { type HeldSource, objectSha256, randomFile, startHeldSource } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EcsBox, startEcsBox } from './testing/ecs-box.ts';

const MIB = 1024 * 1024;
const BULK = 16;

describe('ecs mode end to end: the real autoscaler, the ECS/CloudWatch stand-in, tasks as real `ferry worker` processes', () => {
  const file = randomFile(3 * MIB);
  let source: FileSourceHandle;
  // Each import stops 1 MiB into its file until the test lets it go on: which tasks are busy when is
  // then the test's choice, not the machine's speed.
  let bulkHold: HeldSource;
  let stragglerHold: HeldSource;
  let box: EcsBox | undefined;

  beforeAll(async () => {
    source = await startFileSource({ root: file.dir });
    bulkHold = await startHeldSource(source.url, MIB);
    stragglerHold = await startHeldSource(source.url, MIB);
  });

  afterAll(async () => {
    // Holds first: a test that failed mid-way leaves imports held, which would slow every drain.
    await Promise.all([bulkHold?.close(), stragglerHold?.close()]);
    await box?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('a backlog raises desiredCount, the new tasks drain it, and scale-in stops only idle tasks: no import restarted, every object identical', async () => {
    box = await startEcsBox({
      desiredCount: 1,
      autoscaler: {
        MIN_WORKERS: '1',
        MAX_WORKERS: '4',
        SCALE_DOWN_STABILIZATION_S: '3',
        WORKER_CONCURRENCY: '2',
      },
      // Lean workers: four of them share two cores with the S3 server.
      // DRAIN_TIMEOUT_S bounds the clean-up of a failed run; no import is drained when all goes well.
      worker: { PART_CONCURRENCY: '1', WORKER_MEMORY_BUDGET_MIB: '16', DRAIN_TIMEOUT_S: '10' },
    });
    const { service, store, taskLines } = box;
    const logged = (msg: string) => taskLines.filter((line) => line.msg === msg);
    const running = () => service.tasks().filter((task) => task.lastStatus === 'RUNNING');
    await expect.poll(() => logged('worker ready').length, { timeout: 30_000 }).toBe(1);

    // One import that stays busy through the scale-in, then a backlog.
    const [straggler = ''] = await box.submit([
      { url: `${stragglerHold.url}/${file.name}`, key: 'straggler.bin' },
    ]);
    await stragglerHold.held;
    const bulk = await box.submit(
      Array.from({ length: BULK }, (_, n) => ({ url: `${bulkHold.url}/${file.name}`, key: `bulk/${n}.bin` })),
    );

    // 17 jobs / (2 × 0.9) → 10, capped at 4: UpdateService raises desiredCount, the stand-in starts
    // three more workers, and with 8 slots for 17 imports every one of them is busy (protected).
    await expect.poll(() => service.desiredCount, { timeout: 20_000 }).toBe(4);
    await expect
      .poll(() => running().filter((task) => task.protected).length, { timeout: 60_000, interval: 250 })
      .toBe(4);
    const fleet = running().map((task) => task.id);
    const holder = logged('import started').find((line) => line.importId === straggler)?.task;
    expect(fleet).toContain(holder);
    // The autoscaler read the running tasks from DescribeServices, their CPU and memory from the
    // stand-in's CloudWatch.
    await expect.poll(() => box?.autoscaler.status().signals?.currentWorkers).toBe(4);
    expect(box.autoscaler.status().mode).toBe('ecs');
    await expect.poll(() => box?.autoscaler.status().signals?.memoryUtilization).toBeGreaterThan(0);
    expect(box.autoscaler.status().signals?.cpuUtilization).toBeTypeOf('number');

    bulkHold.release();
    const statuses = async (ids: string[]) =>
      ((await Promise.all(ids.map((id) => store.get(id)))) as ImportRecord[]).map((record) => record.status);
    await expect
      .poll(async () => (await statuses(bulk)).filter((status) => status === 'completed').length, {
        timeout: 60_000,
        interval: 250,
      })
      .toBe(BULK);

    // Backlog 1 (the straggler) → 1 once the down window has passed. ECS stops the three idle tasks
    // as their protection lapses, and never the one holding the straggler.
    await expect.poll(() => service.desiredCount, { timeout: 30_000 }).toBe(1);
    const stopped = () => service.tasks().filter((task) => task.lastStatus === 'STOPPED');
    await expect.poll(() => stopped().length, { timeout: 30_000, interval: 250 }).toBe(3);
    expect(
      stopped()
        .map((task) => task.id)
        .sort(),
    ).toEqual(fleet.filter((id) => id !== holder).sort());
    expect(
      stopped().every((task) => task.stopCode === 'ServiceSchedulerInitiated' && task.exitCode === 0),
    ).toBe(true);
    expect(service.task(holder ?? '')).toMatchObject({
      lastStatus: 'RUNNING',
      stoppingAt: null,
      protected: true,
    });
    expect((await store.get(straggler))?.status).toBe('running');

    stragglerHold.release();
    await expect
      .poll(async () => (await store.get(straggler))?.status, { timeout: 30_000 })
      .toBe('completed');

    // Nothing restarted: each import started once, by one task, and none was handed back.
    const ids = [straggler, ...bulk];
    const records = (await Promise.all(ids.map((id) => store.get(id)))) as ImportRecord[];
    expect(records.filter((record) => record.status !== 'completed' || record.attempts !== 1)).toEqual([]);
    const starts = new Map<string, number>();
    for (const line of logged('import started'))
      starts.set(String(line.importId), (starts.get(String(line.importId)) ?? 0) + 1);
    expect([...starts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(starts.size).toBe(ids.length);
    expect(logged('import handed back to the queue')).toEqual([]);
    for (const [n] of bulk.entries()) {
      expect(await objectSha256(box.s3, box.bucket, `bulk/${n}.bin`)).toEqual({
        sha256: file.sha256,
        size: 3 * MIB,
      });
    }
    expect(await objectSha256(box.s3, box.bucket, 'straggler.bin')).toEqual({
      sha256: file.sha256,
      size: 3 * MIB,
    });

    // The autoscaler's own account: UpdateService up to 4 first, down to 1 last.
    const changes = box.autoscalerLines
      .filter((line) => line.msg === 'ECS service desiredCount set')
      .map((line) => `${line.from}→${line.to}`);
    expect(changes[0]).toBe('1→4');
    expect(changes.at(-1)).toMatch(/→1$/);
    expect(service.tasks()).toHaveLength(4);
    // Whether ECS also had to wait for an idle task's protection to lapse depends on timing: reported.
    const skips = service.events().filter((event) => event.message.includes('unable to scale in')).length;
    console.info(
      `[autoscaler/ecs] ${service.tasks().length} tasks started, ${stopped().length} stopped by scale-in ` +
        `(all idle, exit 0; ${skips} passes held off by protection), ${ids.length} imports, ` +
        `${[...starts.values()].filter((count) => count > 1).length} restarted; desiredCount ${changes.join(', ')}`,
    );
  });
});
