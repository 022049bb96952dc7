import { formatSeconds } from './format.ts';
import type { PolicyConfig } from './types.ts';

export interface Step {
  workers: number;
  /** What the step changed, for the reason; absent when it let the proposal through. */
  note?: string;
}

/**
 * HPA's stabilization windows: scale up no further than the lowest recommendation within the
 * scale-up window, scale down no further than the highest within the scale-down window. With the
 * defaults (0 s up, 300 s down) a burst is answered at once, while a dip must last five minutes
 * before a worker goes. `history` holds the earlier recommendations; `raw` is this one.
 */
export function stabilize(
  current: number,
  raw: number,
  history: readonly { at: number; workers: number }[],
  now: number,
  config: Pick<PolicyConfig, 'scaleUpStabilizationS' | 'scaleDownStabilizationS'>,
): Step {
  const upCutoff = now - config.scaleUpStabilizationS * 1000;
  const downCutoff = now - config.scaleDownStabilizationS * 1000;
  let lowest = raw;
  let highest = raw;
  for (const rec of history) {
    if (rec.at > upCutoff) lowest = Math.min(lowest, rec.workers);
    if (rec.at > downCutoff) highest = Math.max(highest, rec.workers);
  }
  if (raw > current && lowest < raw) {
    const workers = Math.max(current, lowest);
    return {
      workers,
      note: `held at ${workers}: lowest recommendation in the ${formatSeconds(config.scaleUpStabilizationS)} scale-up window`,
    };
  }
  if (raw < current && highest > raw) {
    const workers = Math.min(current, highest);
    return {
      workers,
      note: `held at ${workers}: highest recommendation in the ${formatSeconds(config.scaleDownStabilizationS)} scale-down window`,
    };
  }
  return { workers: raw };
}
