import { formatSeconds } from './format.ts';
import type { PolicyConfig } from './types.ts';

/** `stay`: a fleet at zero stays there; `scale-in`: an idle fleet goes to zero now. */
export interface ZeroVerdict {
  kind: 'stay' | 'scale-in';
  detail: string;
}

/**
 * KEDA's activation and cooldown, for MIN_WORKERS = 0: a fleet at zero starts only when the
 * backlog passes the activation threshold, and a running fleet goes to zero once it has had no
 * job at all for the cooldown. Both bypass the stabilization window and rate limits, as KEDA's
 * zero ↔ one step bypasses the HPA; null means the other rules decide (with a floor of one).
 */
export function zeroVerdict(
  config: Pick<PolicyConfig, 'minWorkers' | 'activationBacklog' | 'scaleToZeroCooldownS'>,
  current: number,
  backlog: number,
  idleForS: number,
): ZeroVerdict | null {
  if (config.minWorkers > 0) return null;
  if (current === 0) {
    return backlog <= config.activationBacklog
      ? { kind: 'stay', detail: `backlog ${backlog} ≤ activation ${config.activationBacklog}: stay at 0` }
      : null;
  }
  if (backlog === 0 && idleForS >= config.scaleToZeroCooldownS) {
    return {
      kind: 'scale-in',
      detail: `idle ${formatSeconds(idleForS)} ≥ cooldown ${formatSeconds(config.scaleToZeroCooldownS)}: scale to 0`,
    };
  }
  return null;
}
