import { describe, expect, it } from 'vitest';
import { backlogRule, countBacklog } from './backlog.ts';
import type { Signals } from './types.ts';

const config = { targetUtilization: 0.9, tolerance: 0.1 };

function signals(partial: Partial<Signals> = {}): Signals {
  return { at: 0, queues: [], workerConcurrency: 2, currentWorkers: 0, pendingWorkers: 0, ...partial };
}

const queue = (
  name: string,
  waiting: number,
  prioritized: number,
  active: number,
  delayedDue: number,
  unfed = 0,
) => ({
  queue: name,
  waiting,
  prioritized,
  active,
  delayedDue,
  unfed,
  oldestWaitingAgeS: 0,
});

describe('countBacklog', () => {
  it('sums waiting, prioritized, active and due jobs over every queue', () => {
    const backlog = countBacklog(signals({ queues: [queue('a', 10, 2, 3, 1), queue('b', 4, 0, 5, 0)] }));
    expect(backlog).toEqual({ total: 25, sqs: 0 });
  });

  it('counts the imports that wait unfed behind the window: they need workers too', () => {
    // A window of 1,000 jobs in BullMQ and 100,000 imports behind it: the fleet sizes for all.
    const backlog = countBacklog(signals({ queues: [queue('a', 1, 999, 0, 0, 100_000)] }));
    expect(backlog).toEqual({ total: 101_000, sqs: 0 });
  });

  it('adds visible and in-flight SQS messages when the deployment feeds from SQS', () => {
    const backlog = countBacklog(
      signals({ queues: [queue('a', 10, 0, 0, 0)], sqs: { visible: 7, notVisible: 3 } }),
    );
    expect(backlog).toEqual({ total: 20, sqs: 10 });
  });
});

describe('backlogRule', () => {
  it('asks for ceil(backlog / (concurrency × target)) workers', () => {
    expect(backlogRule({ total: 180, sqs: 0 }, 2, 0, config)).toEqual({
      rule: 'backlog',
      workers: 100,
      detail: 'backlog 180 jobs / (2 × 0.9) → 100',
    });
    expect(backlogRule({ total: 181, sqs: 0 }, 2, 0, config).workers).toBe(101);
    expect(backlogRule({ total: 1, sqs: 0 }, 4, 0, config).workers).toBe(1);
    expect(backlogRule({ total: 0, sqs: 0 }, 4, 3, config).workers).toBe(0);
  });

  it('keeps the current count while the backlog is within the tolerance of it', () => {
    // 19 / (2 × 0.9 × 10) = 1.056: within 10%.
    const rec = backlogRule({ total: 19, sqs: 0 }, 2, 10, config);
    expect(rec.workers).toBe(10);
    expect(rec.detail).toBe('backlog 19 jobs / (2 × 0.9) → 11, within 10% of 10: keep 10');
    // 20 / 18 = 1.111: outside.
    expect(backlogRule({ total: 20, sqs: 0 }, 2, 10, config).workers).toBe(12);
    // 16 / 18 = 0.889: outside, downward.
    expect(backlogRule({ total: 16, sqs: 0 }, 2, 10, config).workers).toBe(9);
  });

  it('names the SQS share of the backlog', () => {
    expect(backlogRule({ total: 36, sqs: 6 }, 2, 0, config).detail).toBe(
      'backlog 36 jobs (6 in SQS) / (2 × 0.9) → 20',
    );
  });
});
