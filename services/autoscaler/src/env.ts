import { EmfEnvFields, envInt, FerryError, isFerryError, parseEnv, QueueEnvFields } from '@ferry/shared';
import { z } from 'zod';
import { checkPolicyConfig, defaultPolicyConfig } from './policy/policy-config.ts';
import type { PolicyConfig, RateLimit } from './policy/types.ts';
import {
  decimalField,
  type RateLimitSetting,
  rateLimitField,
  scheduledMinimumsField,
} from './policy-env-fields.ts';

/** A whole number in [min, max], or unset (the feature it configures is off). */
const optionalEnvInt = (min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return undefined;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const optionalName = z.string().min(1, 'must not be empty').optional();

export const AutoscalerEnv = z
  .object({
    ...QueueEnvFields,
    ...EmfEnvFields,
    /**
     * `local`: a pool of `ferry worker` processes on this machine; `ecs`: the ECS service's
     * desiredCount; `dry-run`: decide and report, change nothing (the safe default).
     */
    AUTOSCALER_MODE: z.enum(['local', 'ecs', 'dry-run']).default('dry-run'),
    MIN_WORKERS: envInt(1, 0, 1000),
    MAX_WORKERS: envInt(10, 1, 1000),
    SCALE_INTERVAL_S: envInt(15, 1, 3600),
    /** The highest recommendation within this window wins, so a dip in the backlog does not scale in. */
    SCALE_DOWN_STABILIZATION_S: envInt(300, 0, 86_400),
    /** "<workers>,<percent>[,<period s>]": up by at most the larger of these per period (the interval). */
    SCALE_UP_LIMIT: rateLimitField({ workers: 4, percent: 100 }),
    /** The same for scaling in; "0,100": no limit beyond the down window. */
    SCALE_DOWN_LIMIT: rateLimitField({ workers: 0, percent: 100 }),
    /** No change while the recommendation is within this share of the current fleet. */
    SCALE_TOLERANCE: decimalField(0.1, { min: 0, max: 0.99 }),
    /** With MIN_WORKERS=0: the backlog (jobs) that starts a fleet at zero. */
    ACTIVATION_BACKLOG: envInt(0, 0, 1_000_000),
    /** With MIN_WORKERS=0: idle seconds (no backlog, nothing running) before scaling to zero. */
    SCALE_TO_ZERO_COOLDOWN_S: envInt(300, 0, 86_400),
    /** JSON: minimums while cron windows are open (UTC); see policy-env-fields.ts. */
    SCHEDULED_MINIMUMS: scheduledMinimumsField,
    /** GET /status, /metrics, /healthz. */
    AUTOSCALER_PORT: envInt(8081, 0, 65_535),
    AUTOSCALER_HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
    /** Imports one worker runs at once: the fleet's WORKER_CONCURRENCY, and the local workers' own. */
    WORKER_CONCURRENCY: envInt(4, 1, 256),
    /** Share of the fleet's job slots the backlog rule aims to fill. */
    TARGET_UTILIZATION: decimalField(0.9, { min: 0, max: 1, minExcluded: true }),
    /** Fleet CPU target tracking, percent; unset = off. */
    CPU_TARGET_PERCENT: optionalEnvInt(1, 100),
    /** Fleet memory target tracking, percent; unset = off. */
    MEMORY_TARGET_PERCENT: optionalEnvInt(1, 100),
    /** The ECS service the workers run as: required in `ecs` mode, observed in `dry-run` when set. */
    ECS_CLUSTER: optionalName,
    ECS_SERVICE: optionalName,
    /** Region of the ECS, CloudWatch and SQS clients; unset = the SDK's own chain. */
    AWS_REGION: optionalName,
    /** Where a deployment feeds imports from SQS: its depth counts as backlog too. */
    SQS_QUEUE_URL: z
      .string()
      .refine((v) => URL.canParse(v) && ['http:', 'https:'].includes(new URL(v).protocol), {
        message: 'expected a URL starting with https:// or http://',
      })
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.MAX_WORKERS < env.MIN_WORKERS) {
      ctx.addIssue({ code: 'custom', path: ['MAX_WORKERS'], message: 'must be at least MIN_WORKERS' });
    }
    if (env.AUTOSCALER_MODE === 'ecs') {
      for (const name of ['ECS_CLUSTER', 'ECS_SERVICE'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required in ecs mode' });
      }
    }
    if (Boolean(env.ECS_CLUSTER) !== Boolean(env.ECS_SERVICE)) {
      const missing = env.ECS_CLUSTER ? 'ECS_SERVICE' : 'ECS_CLUSTER';
      if (env.AUTOSCALER_MODE !== 'ecs') {
        ctx.addIssue({
          code: 'custom',
          path: [missing],
          message: 'set ECS_CLUSTER and ECS_SERVICE together',
        });
      }
    }
  });
export type AutoscalerConfig = z.infer<typeof AutoscalerEnv>;

/** Throws CONFIG_INVALID naming each bad variable (never its value) when the environment is wrong. */
export function parseAutoscalerEnv(env: Record<string, string | undefined> = process.env): AutoscalerConfig {
  return parseEnv(AutoscalerEnv, env);
}

/** The variable each policy field comes from, so a bad value is reported by the name that was set. */
const ENV_OF_FIELD: Record<string, string> = {
  minWorkers: 'MIN_WORKERS',
  maxWorkers: 'MAX_WORKERS',
  targetUtilization: 'TARGET_UTILIZATION',
  cpuTargetPercent: 'CPU_TARGET_PERCENT',
  memoryTargetPercent: 'MEMORY_TARGET_PERCENT',
  tolerance: 'SCALE_TOLERANCE',
  scaleDownStabilizationS: 'SCALE_DOWN_STABILIZATION_S',
  scaleUpLimit: 'SCALE_UP_LIMIT',
  scaleDownLimit: 'SCALE_DOWN_LIMIT',
  activationBacklog: 'ACTIVATION_BACKLOG',
  scaleToZeroCooldownS: 'SCALE_TO_ZERO_COOLDOWN_S',
  schedule: 'SCHEDULED_MINIMUMS',
};

/**
 * The policy the environment asks for: the documented defaults overridden by what is set. A rate
 * limit without a period uses the control interval (15 s by default, HPA's period), so "up by 4
 * workers or 100%" applies per tick whatever the interval. Out-of-range values fail with
 * CONFIG_INVALID naming the variable ("SCALE_UP_LIMIT.periodS", "SCHEDULED_MINIMUMS[0].cron").
 */
export function policyConfigFromEnv(
  config: AutoscalerConfig,
  overrides: Partial<PolicyConfig> = {},
): PolicyConfig {
  const perTick = (limit: RateLimitSetting): RateLimit => ({
    workers: limit.workers,
    percent: limit.percent,
    periodS: limit.periodS ?? config.SCALE_INTERVAL_S,
  });
  const policy: PolicyConfig = {
    ...defaultPolicyConfig(),
    minWorkers: config.MIN_WORKERS,
    maxWorkers: config.MAX_WORKERS,
    targetUtilization: config.TARGET_UTILIZATION,
    tolerance: config.SCALE_TOLERANCE,
    scaleDownStabilizationS: config.SCALE_DOWN_STABILIZATION_S,
    scaleUpLimit: perTick(config.SCALE_UP_LIMIT),
    scaleDownLimit: perTick(config.SCALE_DOWN_LIMIT),
    activationBacklog: config.ACTIVATION_BACKLOG,
    scaleToZeroCooldownS: config.SCALE_TO_ZERO_COOLDOWN_S,
    schedule: config.SCHEDULED_MINIMUMS,
    ...(config.CPU_TARGET_PERCENT === undefined ? {} : { cpuTargetPercent: config.CPU_TARGET_PERCENT }),
    ...(config.MEMORY_TARGET_PERCENT === undefined
      ? {}
      : { memoryTargetPercent: config.MEMORY_TARGET_PERCENT }),
    ...overrides,
  };
  try {
    return checkPolicyConfig(policy);
  } catch (error) {
    if (!isFerryError(error) || !error.details) throw error;
    const details = error.details.map((detail) => ({
      ...detail,
      field: detail.field.replace(/^[A-Za-z]+/, (head) => ENV_OF_FIELD[head] ?? head),
    }));
    const problems = details.map((detail) => `${detail.field}: ${detail.message}`).join('; ');
    throw new FerryError(error.code, `invalid autoscaling policy: ${problems}`, { details });
  }
}
