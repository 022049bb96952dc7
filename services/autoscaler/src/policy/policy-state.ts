import type { PolicyConfig, PolicyState } from './types.ts';

export function initialPolicyState(): PolicyState {
  return { recommendations: [], changes: [], lastBusyAt: null };
}

/** The longest look-back any rule makes: windows, rate-limit periods (and the reversal hold, the down window). */
export function historyHorizonS(config: PolicyConfig): number {
  return Math.max(
    config.scaleUpStabilizationS,
    config.scaleDownStabilizationS,
    config.scaleUpLimit.periodS,
    config.scaleDownLimit.periodS,
  );
}

/**
 * The state after one decision, pruned to the horizon so it stays bounded. One change from before
 * the horizon is kept: the reversal hold needs the direction the fleet was moving in before the
 * changes it can still see.
 */
export function nextPolicyState(
  state: PolicyState,
  config: PolicyConfig,
  update: { at: number; raw: number; current: number; desired: number; lastBusyAt: number },
): PolicyState {
  const cutoff = update.at - historyHorizonS(config) * 1000;
  const recommendations = [...state.recommendations, { at: update.at, workers: update.raw }].filter(
    (rec) => rec.at > cutoff,
  );
  const all =
    update.desired === update.current
      ? state.changes
      : [...state.changes, { at: update.at, from: update.current, to: update.desired }];
  const firstRecent = all.findIndex((change) => change.at > cutoff);
  const keepFrom = firstRecent === -1 ? all.length - 1 : Math.max(0, firstRecent - 1);
  return { recommendations, changes: all.slice(Math.max(0, keepFrom)), lastBusyAt: update.lastBusyAt };
}
