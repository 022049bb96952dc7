import { ErrorCode, type ErrorDetail, FerryError } from '@ferry/shared';
import { parseCron } from './cron.ts';
import type { PolicyConfig, RateLimit } from './types.ts';

/**
 * HPA's and KEDA's defaults where they have one: no scale-up window, a 300 s scale-down window,
 * up by the larger of 4 workers or 100% per 15 s, down by up to 100% per 15 s (HPA's default
 * scale-down policy, so the window alone paces scale-in), 10% tolerance, 300 s cooldown.
 */
export function defaultPolicyConfig(): PolicyConfig {
  return {
    minWorkers: 1,
    maxWorkers: 10,
    targetUtilization: 0.9,
    tolerance: 0.1,
    scaleUpStabilizationS: 0,
    scaleDownStabilizationS: 300,
    scaleUpLimit: { workers: 4, percent: 100, periodS: 15 },
    scaleDownLimit: { workers: 0, percent: 100, periodS: 15 },
    activationBacklog: 0,
    scaleToZeroCooldownS: 300,
    schedule: [],
  };
}

const WEEK_S = 7 * 24 * 3600;

/** Throws CONFIG_INVALID with one detail per bad field (e.g. "scaleUpLimit.periodS"). */
export function checkPolicyConfig(config: PolicyConfig): PolicyConfig {
  const details: ErrorDetail[] = [];
  const check = (ok: boolean, field: string, message: string) => {
    if (!ok) details.push({ field, message });
  };
  const whole = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  const range = (value: number, min: number, max: number) =>
    Number.isFinite(value) && value >= min && value <= max;

  check(whole(config.minWorkers, 0, 10_000), 'minWorkers', 'must be a whole number from 0 to 10000');
  check(
    whole(config.maxWorkers, Math.max(1, config.minWorkers), 10_000),
    'maxWorkers',
    'must be a whole number from 1 to 10000, at least minWorkers',
  );
  check(
    range(config.targetUtilization, 0, 1) && config.targetUtilization > 0,
    'targetUtilization',
    'must be above 0 and at most 1',
  );
  for (const field of ['cpuTargetPercent', 'memoryTargetPercent'] as const) {
    const value = config[field];
    if (value !== undefined) check(range(value, 1, 100), field, 'must be a percentage from 1 to 100');
  }
  check(range(config.tolerance, 0, 0.99), 'tolerance', 'must be from 0 to 0.99');
  for (const field of ['scaleUpStabilizationS', 'scaleDownStabilizationS'] as const) {
    check(whole(config[field], 0, 86_400), field, 'must be a whole number of seconds from 0 to 86400');
  }
  const limit = (value: RateLimit, field: string) => {
    check(whole(value.workers, 0, 10_000), `${field}.workers`, 'must be a whole number from 0 to 10000');
    check(range(value.percent, 0, 1000), `${field}.percent`, 'must be from 0 to 1000');
    check(
      whole(value.periodS, 1, 3600),
      `${field}.periodS`,
      'must be a whole number of seconds from 1 to 3600',
    );
    check(
      value.workers > 0 || value.percent > 0,
      field,
      'must allow some change: workers or percent above 0',
    );
  };
  limit(config.scaleUpLimit, 'scaleUpLimit');
  limit(config.scaleDownLimit, 'scaleDownLimit');
  check(whole(config.activationBacklog, 0, 1_000_000), 'activationBacklog', 'must be a whole number of jobs');
  check(
    whole(config.scaleToZeroCooldownS, 0, 86_400),
    'scaleToZeroCooldownS',
    'must be a whole number of seconds from 0 to 86400',
  );
  config.schedule.forEach((entry, i) => {
    const field = `schedule[${i}]`;
    try {
      parseCron(entry.cron, `${field}.cron`);
    } catch (error) {
      details.push(...((error as FerryError).details ?? []));
    }
    check(
      whole(entry.durationS, 60, WEEK_S),
      `${field}.durationS`,
      `must be a whole number of seconds from 60 to ${WEEK_S}`,
    );
    check(
      whole(entry.minWorkers, 0, config.maxWorkers),
      `${field}.minWorkers`,
      'must be a whole number from 0 to maxWorkers',
    );
  });
  if (details.length > 0) {
    const fields = details.map((d) => d.field).join(', ');
    throw new FerryError(ErrorCode.CONFIG_INVALID, `invalid autoscaling policy: ${fields}`, { details });
  }
  return config;
}
