import { formatSeconds } from './format.ts';
import type { ZeroVerdict } from './scale-to-zero.ts';
import type { Step } from './stabilization.ts';
import type { PolicyConfig, Recommendation, ScheduledMinimum } from './types.ts';

export interface LowerBound extends Recommendation {
  rule: 'minimum' | 'schedule';
  /** Said when the bound raises the proposal: "raised to min 2". */
  raise: string;
}

/**
 * The fewest workers allowed now: MIN_WORKERS, raised by an open scheduled window. With
 * MIN_WORKERS = 0 the floor is one unless the zero rules allow zero, so a running fleet only
 * reaches zero through the cooldown.
 */
export function lowerBound(
  config: Pick<PolicyConfig, 'minWorkers' | 'scaleToZeroCooldownS'>,
  current: number,
  zero: ZeroVerdict | null,
  scheduled: ScheduledMinimum | null,
): LowerBound {
  let bound: LowerBound;
  if (config.minWorkers > 0) {
    const n = config.minWorkers;
    bound = { rule: 'minimum', workers: n, detail: `min ${n}`, raise: `raised to min ${n}` };
  } else if (zero !== null) {
    bound = { rule: 'minimum', workers: 0, detail: 'min 0', raise: 'raised to min 0' };
  } else {
    const why =
      current === 0 ? 'to start from zero' : `until idle for ${formatSeconds(config.scaleToZeroCooldownS)}`;
    bound = { rule: 'minimum', workers: 1, detail: `1 ${why}`, raise: `raised to 1 ${why}` };
  }
  if (scheduled !== null && scheduled.minWorkers > bound.workers) {
    const n = scheduled.minWorkers;
    bound = {
      rule: 'schedule',
      workers: n,
      detail: `scheduled min ${n} (${scheduled.cron} for ${formatSeconds(scheduled.durationS)})`,
      raise: `raised to scheduled min ${n} (${scheduled.cron})`,
    };
  }
  return bound;
}

/** Applied before the rate limits, so a capped proposal is not also reported as rate-limited. */
export function capAtMax(proposed: number, maxWorkers: number): Step {
  return proposed > maxWorkers
    ? { workers: maxWorkers, note: `capped at max ${maxWorkers}` }
    : { workers: proposed };
}

/** Applied last: MIN_WORKERS and scheduled minimums override the rate limits, as HPA's minReplicas does. */
export function raiseToFloor(proposed: number, lower: LowerBound): Step {
  return proposed < lower.workers ? { workers: lower.workers, note: lower.raise } : { workers: proposed };
}
