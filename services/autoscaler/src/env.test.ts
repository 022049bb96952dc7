import { describe, expect, it } from 'vitest';
import { parseAutoscalerEnv, policyConfigFromEnv } from './env.ts';

describe('autoscaler environment', () => {
  it('has safe defaults: a dry run between 1 and 10 workers every 15 s', () => {
    const config = parseAutoscalerEnv({});
    expect(config).toMatchObject({
      AUTOSCALER_MODE: 'dry-run',
      MIN_WORKERS: 1,
      MAX_WORKERS: 10,
      SCALE_INTERVAL_S: 15,
      SCALE_DOWN_STABILIZATION_S: 300,
      AUTOSCALER_PORT: 8081,
      WORKER_CONCURRENCY: 4,
      TARGET_UTILIZATION: 0.9,
      FERRY_QUEUE: 'ferry-imports',
    });
    expect(config.CPU_TARGET_PERCENT).toBeUndefined();
    expect(config.SQS_QUEUE_URL).toBeUndefined();
  });

  it('reads every setting', () => {
    const config = parseAutoscalerEnv({
      AUTOSCALER_MODE: 'ecs',
      ECS_CLUSTER: 'ferry',
      ECS_SERVICE: 'workers',
      MIN_WORKERS: '0',
      MAX_WORKERS: '40',
      SCALE_INTERVAL_S: '30',
      SCALE_DOWN_STABILIZATION_S: '600',
      AUTOSCALER_PORT: '9000',
      WORKER_CONCURRENCY: '2',
      TARGET_UTILIZATION: '0.75',
      CPU_TARGET_PERCENT: '70',
      SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/ferry',
    });
    expect(config).toMatchObject({
      MIN_WORKERS: 0,
      MAX_WORKERS: 40,
      TARGET_UTILIZATION: 0.75,
      CPU_TARGET_PERCENT: 70,
    });
  });

  it.each([
    [{ AUTOSCALER_MODE: 'kubernetes' }, 'AUTOSCALER_MODE'],
    [{ MIN_WORKERS: '-1' }, 'MIN_WORKERS'],
    [{ MIN_WORKERS: '5', MAX_WORKERS: '4' }, 'MAX_WORKERS'],
    [{ SCALE_INTERVAL_S: '0' }, 'SCALE_INTERVAL_S'],
    [{ SCALE_DOWN_STABILIZATION_S: 'soon' }, 'SCALE_DOWN_STABILIZATION_S'],
    [{ AUTOSCALER_PORT: '70000' }, 'AUTOSCALER_PORT'],
    [{ TARGET_UTILIZATION: '1.5' }, 'TARGET_UTILIZATION'],
    [{ CPU_TARGET_PERCENT: '0' }, 'CPU_TARGET_PERCENT'],
    [{ AUTOSCALER_MODE: 'ecs', ECS_SERVICE: 'workers' }, 'ECS_CLUSTER'],
    [{ AUTOSCALER_MODE: 'ecs', ECS_CLUSTER: 'ferry' }, 'ECS_SERVICE'],
    [{ ECS_CLUSTER: 'ferry' }, 'ECS_SERVICE'],
    [{ SQS_QUEUE_URL: 'sqs://ferry' }, 'SQS_QUEUE_URL'],
  ])('refuses %j, naming %s', (env, name) => {
    expect(() => parseAutoscalerEnv(env)).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('turns the environment into the policy: bounds, target, down window, and rate limits per interval', () => {
    const policy = policyConfigFromEnv(
      parseAutoscalerEnv({
        MIN_WORKERS: '2',
        MAX_WORKERS: '8',
        SCALE_INTERVAL_S: '5',
        SCALE_DOWN_STABILIZATION_S: '60',
        TARGET_UTILIZATION: '0.5',
        MEMORY_TARGET_PERCENT: '80',
      }),
    );
    expect(policy).toMatchObject({
      minWorkers: 2,
      maxWorkers: 8,
      targetUtilization: 0.5,
      scaleDownStabilizationS: 60,
      memoryTargetPercent: 80,
      scaleUpLimit: { periodS: 5 },
      scaleDownLimit: { periodS: 5 },
    });
    expect(policy.cpuTargetPercent).toBeUndefined();
  });

  it('defaults the rest of the policy to the documented figures, rate limits per interval', () => {
    expect(policyConfigFromEnv(parseAutoscalerEnv({}))).toMatchObject({
      tolerance: 0.1,
      scaleUpLimit: { workers: 4, percent: 100, periodS: 15 },
      scaleDownLimit: { workers: 0, percent: 100, periodS: 15 },
      activationBacklog: 0,
      scaleToZeroCooldownS: 300,
      schedule: [],
    });
  });

  it('reads rate limits, tolerance, activation, scale-to-zero cooldown and scheduled minimums', () => {
    const weekdays = { cron: '0 8 * * 1-5', durationS: 36_000, minWorkers: 6 };
    const policy = policyConfigFromEnv(
      parseAutoscalerEnv({
        MIN_WORKERS: '0',
        MAX_WORKERS: '20',
        SCALE_INTERVAL_S: '5',
        SCALE_UP_LIMIT: '2, 50, 30',
        SCALE_DOWN_LIMIT: '1,10',
        SCALE_TOLERANCE: '0.2',
        ACTIVATION_BACKLOG: '5',
        SCALE_TO_ZERO_COOLDOWN_S: '60',
        SCHEDULED_MINIMUMS: JSON.stringify([weekdays]),
      }),
    );
    expect(policy).toMatchObject({
      scaleUpLimit: { workers: 2, percent: 50, periodS: 30 },
      // No period given: the interval.
      scaleDownLimit: { workers: 1, percent: 10, periodS: 5 },
      tolerance: 0.2,
      activationBacklog: 5,
      scaleToZeroCooldownS: 60,
      schedule: [weekdays],
    });
  });

  it.each([
    [{ SCALE_UP_LIMIT: 'fast' }, 'SCALE_UP_LIMIT'],
    [{ SCALE_DOWN_LIMIT: '1,2,3,4' }, 'SCALE_DOWN_LIMIT'],
    [{ SCALE_TOLERANCE: '1' }, 'SCALE_TOLERANCE'],
    [{ ACTIVATION_BACKLOG: '-1' }, 'ACTIVATION_BACKLOG'],
    [{ SCALE_TO_ZERO_COOLDOWN_S: 'later' }, 'SCALE_TO_ZERO_COOLDOWN_S'],
    [{ SCHEDULED_MINIMUMS: 'weekdays' }, 'SCHEDULED_MINIMUMS'],
    [{ SCHEDULED_MINIMUMS: '[{"cron":"0 8 * * 1-5"}]' }, 'SCHEDULED_MINIMUMS'],
  ])('refuses %j, naming %s', (env, name) => {
    expect(() => parseAutoscalerEnv(env)).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it.each([
    [{ SCALE_UP_LIMIT: '4,100,0' }, 'SCALE_UP_LIMIT.periodS'],
    [{ SCALE_DOWN_LIMIT: '0,0' }, 'SCALE_DOWN_LIMIT'],
    [
      { SCHEDULED_MINIMUMS: '[{"cron":"0 25 * * *","durationS":3600,"minWorkers":2}]' },
      'SCHEDULED_MINIMUMS[0].cron',
    ],
    [
      { SCHEDULED_MINIMUMS: '[{"cron":"0 8 * * *","durationS":3600,"minWorkers":99}]' },
      'SCHEDULED_MINIMUMS[0].minWorkers',
    ],
  ])('refuses a policy out of range, %j, naming %s', (env, field) => {
    let failure: unknown;
    try {
      policyConfigFromEnv(parseAutoscalerEnv(env));
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({
      code: 'CONFIG_INVALID',
      details: expect.arrayContaining([expect.objectContaining({ field })]),
    });
    expect(String((failure as Error).message)).toContain(field);
  });
});
