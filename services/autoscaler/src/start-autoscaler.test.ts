import { IMPORT_JOB_NAME } from '@ferry/shared';
import { newRedis, testRedisUrl, uniqueName } from '@ferry/test-support';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AutoscalerHandle, startAutoscaler } from './start-autoscaler.ts';
import { readPublishedStatus } from './status/published-status.ts';
import type { StatusDocument } from './status/status-document.ts';

// ecs mode against the ECS/CloudWatch stand-in: start-autoscaler.ecs.test.ts.
describe('the autoscaler service (real Redis and HTTP)', () => {
  let redis: Redis;
  let queue: Queue;
  let queueName: string;
  const handles: AutoscalerHandle[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: testRedisUrl(),
    FERRY_QUEUE: queueName,
    AUTOSCALER_PORT: '0',
    AUTOSCALER_HOST: '127.0.0.1',
    SCALE_INTERVAL_S: '1',
    MIN_WORKERS: '1',
    MAX_WORKERS: '6',
    WORKER_CONCURRENCY: '2',
    LOG_LEVEL: 'silent',
    ...extra,
  });
  const start = async (extra: Record<string, string> = {}) => {
    const handle = await startAutoscaler(env(extra));
    handles.push(handle);
    return handle;
  };
  const getStatus = async (handle: AutoscalerHandle): Promise<StatusDocument> =>
    (await fetch(`${handle.url}/status`)).json() as Promise<StatusDocument>;

  beforeEach(() => {
    redis = newRedis();
    queueName = uniqueName('autoscaler');
    queue = new Queue(queueName, { connection: redis });
  });

  afterEach(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.close()));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    redis.disconnect();
  });

  it('dry run: serves /status, /metrics and /healthz, and publishes its status for `ferry queues`', async () => {
    const handle = await start({ AUTOSCALER_MODE: 'dry-run' });
    await expect.poll(async () => (await getStatus(handle)).desired).toBe(1);
    await queue.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: IMPORT_JOB_NAME, data: { n } })));

    // 20 jobs / (2 per worker × 0.9) → 12, capped at 6; +4 per interval from 1: 5, then 6, which the
    // dry run then takes as the fleet's size.
    await expect.poll(async () => (await getStatus(handle)).current, { timeout: 20_000 }).toBe(6);
    const status = await getStatus(handle);
    expect(status).toMatchObject({
      mode: 'dry-run',
      current: 6,
      pending: 0,
      desired: 6,
      error: null,
      signals: { workerConcurrency: 2, queues: [{ queue: queueName, waiting: 20, active: 0 }] },
    });
    expect(status.reason).toMatch(/backlog 20 jobs/);
    expect(status.workers).toBeUndefined();
    expect(status.recent.map((d) => d.desired)).toContain(5);
    expect(Date.parse(status.updatedAt ?? '')).toBeGreaterThan(0);

    const metrics = await (await fetch(`${handle.url}/metrics`)).text();
    expect(metrics).toContain('ferry_autoscaler_workers{kind="desired"} 6');
    expect(metrics).toContain(`ferry_autoscaler_queue_jobs{queue="${queueName}",state="waiting"} 20`);
    expect(metrics).toMatch(/ferry_autoscaler_scale_events_total\{direction="up"\} [12]/);
    expect(await (await fetch(`${handle.url}/healthz`)).json()).toEqual({ status: 'ok' });

    expect(await readPublishedStatus(redis, queueName)).toMatchObject({ mode: 'dry-run', desired: 6 });
    await handle.close();
    expect(await readPublishedStatus(redis, queueName)).toBeNull();
    await expect(fetch(`${handle.url}/healthz`)).rejects.toThrow();
  });

  it('dry run: applies the scheduled minimums and rate limits the environment sets', async () => {
    const handle = await start({
      AUTOSCALER_MODE: 'dry-run',
      // A window opened every minute and open for one: always open.
      SCHEDULED_MINIMUMS: JSON.stringify([{ cron: '* * * * *', durationS: 60, minWorkers: 2 }]),
      // One more worker per tick at most.
      SCALE_UP_LIMIT: '1,0',
    });
    await expect.poll(async () => (await getStatus(handle)).desired, { timeout: 10_000 }).toBe(2);
    expect((await getStatus(handle)).reason).toMatch(/schedule/);

    await queue.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: IMPORT_JOB_NAME, data: { n } })));
    await expect.poll(async () => (await getStatus(handle)).current, { timeout: 20_000 }).toBe(6);
    // 2 → 3 → 4 → 5 → 6: never more than one worker a tick.
    const ups = (await getStatus(handle)).recent.filter((decision) => decision.desired > decision.current);
    expect(ups.length).toBeGreaterThanOrEqual(4);
    expect(ups.every((decision) => decision.desired - decision.current === 1)).toBe(true);
  });

  it('refuses to start on a bad variable, naming it', async () => {
    await expect(startAutoscaler(env({ MAX_WORKERS: '0' }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/MAX_WORKERS/),
    });
  });
});
