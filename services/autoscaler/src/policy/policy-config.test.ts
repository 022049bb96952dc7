import { describe, expect, it } from 'vitest';
import { checkPolicyConfig, defaultPolicyConfig } from './policy-config.ts';

describe('policy config', () => {
  it('has HPA-like defaults that pass its own check', () => {
    const config = defaultPolicyConfig();
    expect(checkPolicyConfig(config)).toBe(config);
    expect(config).toMatchObject({ minWorkers: 1, maxWorkers: 10, scaleDownStabilizationS: 300 });
  });

  it('names every bad field', () => {
    const config = {
      ...defaultPolicyConfig(),
      minWorkers: 5,
      maxWorkers: 3,
      targetUtilization: 0,
      scaleUpLimit: { workers: 0, percent: 0, periodS: 0 },
      schedule: [{ cron: '0 25 * * *', durationS: 3600, minWorkers: 2 }],
    };
    expect(() => checkPolicyConfig(config)).toThrow(
      'invalid autoscaling policy: maxWorkers, targetUtilization, scaleUpLimit.periodS, scaleUpLimit, schedule[0].cron',
    );
  });
});
