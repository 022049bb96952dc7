import { ceilCount, formatNumber } from './format.ts';
import { withinTolerance } from './tolerance.ts';
import type { PolicyConfig, Recommendation, Signals } from './types.ts';

export interface Backlog {
  /** Jobs that need or hold a worker slot: queued, due and running, plus SQS messages. */
  total: number;
  /** The part of `total` that sits in SQS (0 where the deployment does not feed from SQS). */
  sqs: number;
}

/** Sum over queues of waiting + prioritized + active + delayedDue + unfed, plus SQS visible + not visible. */
export function countBacklog(signals: Signals): Backlog {
  let queued = 0;
  for (const q of signals.queues) queued += q.waiting + q.prioritized + q.active + q.delayedDue + q.unfed;
  const sqs = signals.sqs ? signals.sqs.visible + signals.sqs.notVisible : 0;
  return { total: queued + sqs, sqs };
}

/**
 * Backlog per worker (KEDA's queue-length scaler, HPA's AverageValue target): enough workers that
 * each one's slots are `targetUtilization` full. Running jobs count, so a busy fleet does not
 * shrink under its own work.
 */
export function backlogRule(
  backlog: Backlog,
  concurrency: number,
  current: number,
  config: Pick<PolicyConfig, 'targetUtilization' | 'tolerance'>,
): Recommendation {
  const perWorker = concurrency * config.targetUtilization;
  const wanted = ceilCount(backlog.total / perWorker);
  const sqsPart = backlog.sqs > 0 ? ` (${backlog.sqs} in SQS)` : '';
  const detail = `backlog ${backlog.total} jobs${sqsPart} / (${concurrency} × ${formatNumber(config.targetUtilization)}) → ${wanted}`;
  if (
    current > 0 &&
    wanted !== current &&
    withinTolerance(backlog.total / (perWorker * current), config.tolerance)
  ) {
    return {
      rule: 'backlog',
      workers: current,
      detail: `${detail}, within ${formatNumber(config.tolerance * 100)}% of ${current}: keep ${current}`,
    };
  }
  return { rule: 'backlog', workers: wanted, detail };
}
