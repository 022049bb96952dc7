import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IMPORT_JOB_NAME } from '@ferry/shared';
import {
  newRedis,
  type OtlpReceiver,
  startOtlpReceiver,
  testRedisUrl,
  uniqueName,
} from '@ferry/test-support';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPublishedStatus } from './status/published-status.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('the autoscaler process traces its decisions (real process, OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let redis: Redis;
  let queue: Queue;
  const queueName = uniqueName('autoscaler-traced');

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    redis = newRedis();
    queue = new Queue(queueName, { connection: redis });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    redis.disconnect();
    await receiver.close();
  });

  it('exports one span per decision with the desired count and its reason, and flushes on SIGTERM', async () => {
    await queue.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: IMPORT_JOB_NAME, data: { n } })));
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: testRedisUrl(),
        FERRY_QUEUE: queueName,
        AUTOSCALER_MODE: 'dry-run',
        AUTOSCALER_PORT: '0',
        AUTOSCALER_HOST: '127.0.0.1',
        SCALE_INTERVAL_S: '1',
        MIN_WORKERS: '1',
        MAX_WORKERS: '6',
        WORKER_CONCURRENCY: '2',
        LOG_LEVEL: 'silent',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'autoscaler-under-test',
        // Long enough that only the shutdown's flush can export the last decision.
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // The first decision scales up from 1 (by +4 at most): then the process is stopped.
    await expect
      .poll(async () => (await readPublishedStatus(redis, queueName))?.desired, { timeout: 20_000 })
      .toBe(5);
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);

    const decisions = receiver.spans().filter((span) => span.name === 'ferry.autoscaler.decision');
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions[0]).toMatchObject({
      service: 'autoscaler-under-test',
      attributes: {
        'ferry.autoscaler.current': 1,
        'ferry.autoscaler.desired': 5,
        'ferry.autoscaler.applied': true,
      },
    });
    expect(String(decisions[0]?.attributes['ferry.autoscaler.reason'])).toMatch(/backlog/);
  });
});
