import { ceilCount, floorCount, formatNumber, formatSeconds } from './format.ts';
import type { Step } from './stabilization.ts';
import type { PolicyConfig, PolicyState, RateLimit } from './types.ts';

/**
 * The fleet size when the period began: where the first change inside it started from. Reading
 * it from our own changes rather than subtracting them from `current` (as HPA does) keeps the
 * limit right while an actuator still reports the previous count.
 */
function periodStart(current: number, changes: PolicyState['changes'], now: number, periodS: number): number {
  const first = changes.find((change) => change.at > now - periodS * 1000);
  return first ? first.from : current;
}

const describe = (sign: '+' | '-', limit: RateLimit, start: number) =>
  `${sign}${limit.workers} or ${sign}${formatNumber(limit.percent)}% per ${formatSeconds(limit.periodS)} from ${start}`;

/**
 * HPA's scaling policies with selectPolicy Max: within any period the fleet may move by the larger
 * of `workers` and `percent`% of its size at the period's start, in each direction.
 */
export function rateLimit(
  current: number,
  proposed: number,
  changes: PolicyState['changes'],
  now: number,
  config: Pick<PolicyConfig, 'scaleUpLimit' | 'scaleDownLimit'>,
): Step {
  if (proposed > current) {
    const limit = config.scaleUpLimit;
    const start = periodStart(current, changes, now, limit.periodS);
    const highest = Math.max(current, start + limit.workers, ceilCount(start * (1 + limit.percent / 100)));
    if (proposed <= highest) return { workers: proposed };
    return { workers: highest, note: `limited to ${highest} (${describe('+', limit, start)})` };
  }
  if (proposed < current) {
    const limit = config.scaleDownLimit;
    const start = periodStart(current, changes, now, limit.periodS);
    const byPercent = floorCount(start * (1 - limit.percent / 100));
    const lowest = Math.max(0, Math.min(current, start - limit.workers, byPercent));
    if (proposed >= lowest) return { workers: proposed };
    return { workers: lowest, note: `limited to ${lowest} (${describe('-', limit, start)})` };
  }
  return { workers: proposed };
}
