import { ceilCount, formatNumber } from './format.ts';
import { withinTolerance } from './tolerance.ts';
import type { Recommendation } from './types.ts';

/**
 * HPA's utilisation target tracking: desired = ceil(running × utilisation / target). Only running
 * workers report utilisation, so they are the base; within the tolerance the fleet (running and
 * starting) stays as it is. Without a running worker there is nothing to measure: no opinion.
 */
export function targetTrackingRule(
  rule: 'cpu' | 'memory',
  utilizationPercent: number,
  targetPercent: number,
  running: number,
  current: number,
  tolerance: number,
): Recommendation | null {
  if (running === 0) return null;
  const ratio = utilizationPercent / targetPercent;
  const wanted = ceilCount(running * ratio);
  const detail = `${rule} ${formatNumber(utilizationPercent)}% / target ${formatNumber(targetPercent)}% × ${running} running → ${wanted}`;
  if (wanted !== current && withinTolerance(ratio, tolerance)) {
    return {
      rule,
      workers: current,
      detail: `${detail}, within ${formatNumber(tolerance * 100)}% of target: keep ${current}`,
    };
  }
  return { rule, workers: wanted, detail };
}
