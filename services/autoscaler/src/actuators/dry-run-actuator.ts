import type { Logger } from '@ferry/shared';
import type { Actuator } from './actuator.ts';

/**
 * Decides and reports, changes nothing: each change of the desired count is logged, and the count is
 * then taken as in force, so the decisions that follow are those the autoscaler would really make.
 */
export function dryRunActuator(options: { initial: number; logger: Logger }): Actuator {
  let applied = options.initial;
  return {
    mode: 'dry-run',
    current: async () => applied,
    apply: async (desired) => {
      if (desired === applied) return;
      options.logger.info({ from: applied, to: desired }, 'dry run: would scale the workers');
      applied = desired;
    },
    close: async () => {},
  };
}
