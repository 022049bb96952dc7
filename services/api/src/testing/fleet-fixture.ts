import type { StatusDocument } from '@ferry/autoscaler/published-status';
import { publishStatus } from '@ferry/autoscaler/published-status';
import { recordPause } from '@ferry/shared';
import { newRedis } from '@ferry/test-support';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/** Test-only: a queue in a known state for the operator pages. */

export const SEEDED = {
  waiting: 2,
  failed: 1,
  /** Markup in the reason proves the fleet page escapes what it renders. */
  reason: 'queue depth 2 <b>needs</b> 3 workers & "more"',
  current: 1,
  desired: 3,
  pausedAccount: 'dropbox:app:seeded-app-key',
} as const;

export interface FleetFixture {
  /** A worker connected to the queue that takes no jobs, so getWorkers() lists one. */
  idleWorker: Worker;
  close(): Promise<void>;
}

function seededStatus(queue: string): StatusDocument {
  return {
    mode: 'local',
    current: SEEDED.current,
    pending: 0,
    desired: SEEDED.desired,
    reason: SEEDED.reason,
    signals: {
      at: Date.now(),
      queues: [
        {
          queue,
          waiting: SEEDED.waiting,
          prioritized: 0,
          active: 0,
          delayedDue: 0,
          unfed: 0,
          oldestWaitingAgeS: 4,
        },
      ],
      workerConcurrency: 2,
      currentWorkers: SEEDED.current,
      pendingWorkers: 0,
    },
    updatedAt: new Date().toISOString(),
    error: null,
    recent: [],
  };
}

/**
 * 1 failed and 2 waiting jobs, an idle connected worker, a published autoscaler status and one
 * paused provider account, all written through the same Redis calls the services make.
 */
export async function seedFleet(redis: Redis, queueName: string): Promise<FleetFixture> {
  const queue = new Queue(queueName, { connection: redis });
  const workerRedis = newRedis();
  const failing = new Worker(
    queueName,
    async () => {
      throw new Error('seeded failure');
    },
    { connection: workerRedis },
  );
  const failed = new Promise<void>((resolve) => failing.once('failed', () => resolve()));
  await queue.add('seeded-failure', {}, { attempts: 1 });
  await failed;
  await failing.close();
  for (let n = 0; n < SEEDED.waiting; n++) await queue.add('seeded-waiting', { n });

  // Never run: it connects (and so shows in getWorkers()) but takes none of the waiting jobs.
  const idleWorker = new Worker(queueName, async () => {}, { connection: workerRedis, autorun: false });
  await idleWorker.waitUntilReady();

  await publishStatus(redis, queueName, seededStatus(queueName), 600_000);
  await recordPause(redis, queueName, SEEDED.pausedAccount, 600_000);
  await queue.close();
  return {
    idleWorker,
    async close() {
      await idleWorker.close();
      await workerRedis.quit();
    },
  };
}
