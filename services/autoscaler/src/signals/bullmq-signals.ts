import { StoreKeys, UnfedImports } from '@ferry/shared';
import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueDepth } from '../policy/types.ts';
import type { SignalSource } from './signal-source.ts';

export interface BullmqSignalsOptions {
  /** A request-path client (fails fast): a tick must not hang on a Redis outage. Not closed here. */
  redis: Redis;
  queues: string[];
}

/**
 * Jobs next in line inspected for the oldest wait. A job put back (handed back by a draining worker,
 * or retried) goes to the head of the line, so the first few are read, not just the first.
 */
const INSPECTED_JOBS = 10;

/** Delayed scores are the due time in milliseconds times 0x1000 plus a sequence number (BullMQ's layout). */
const DELAYED_SCORE_SCALE = 0x1000;

/**
 * Each BullMQ queue's backlog: waiting, prioritized and active jobs, delayed jobs already due (BullMQ
 * promotes them only when a worker asks, so with no worker they would wait forever uncounted), the
 * imports not yet fed into BullMQ (all but a window of a large backlog), and how long the job or
 * import that has waited longest has waited.
 */
export function bullmqSignals(options: BullmqSignalsOptions): SignalSource {
  const queues = options.queues.map((name) => {
    const queue = new Queue(name, { connection: options.redis });
    queue.on('error', () => {}); // reported by the connection's owner; a failed read fails the tick
    return { queue, unfed: new UnfedImports(options.redis, new StoreKeys(name)) };
  });

  const depth = async ({ queue, unfed }: (typeof queues)[number], now: number): Promise<QueueDepth> => {
    const [counts, delayedDue, nextJobs, firstDelayed, notFed] = await Promise.all([
      queue.getJobCounts('waiting', 'prioritized', 'active'),
      queue.getDelayedCount(now + 1),
      queue.getJobs(['waiting', 'prioritized'], 0, INSPECTED_JOBS - 1, true),
      options.redis.zrange(queue.keys.delayed ?? queue.toKey('delayed'), '0', '0', 'WITHSCORES'),
      unfed.waiting(),
    ]);
    const waitingSince = nextJobs.filter((job) => job !== undefined).map(enteredLine);
    const dueScore = firstDelayed[1];
    if (dueScore !== undefined) {
      const dueAt = Math.floor(Number(dueScore) / DELAYED_SCORE_SCALE);
      if (dueAt <= now) waitingSince.push(dueAt);
    }
    if (notFed.oldestMs !== null) waitingSince.push(notFed.oldestMs);
    const oldest = waitingSince.length > 0 ? Math.min(...waitingSince) : now;
    return {
      queue: queue.name,
      waiting: counts.waiting ?? 0,
      prioritized: counts.prioritized ?? 0,
      active: counts.active ?? 0,
      delayedDue,
      unfed: notFed.count,
      oldestWaitingAgeS: Math.max(0, now - oldest) / 1000,
    };
  };

  return {
    name: 'bullmq',
    read: async (now) => ({ queues: await Promise.all(queues.map((entry) => depth(entry, now))) }),
    close: async () => {
      await Promise.all(queues.map(({ queue }) => queue.close()));
    },
  };
}

/**
 * When a job joined the line, as far as BullMQ records it: created (plus any initial delay), or
 * last started, for one put back after a run.
 */
function enteredLine(job: Job): number {
  return Math.max(job.timestamp + (job.delay ?? 0), job.processedOn ?? 0);
}
