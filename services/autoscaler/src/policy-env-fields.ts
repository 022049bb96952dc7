import { z } from 'zod';
import type { ScheduledMinimum } from './policy/types.ts';

/** A rate limit as the environment gives it; without a period, the control interval is the period. */
export interface RateLimitSetting {
  workers: number;
  percent: number;
  periodS?: number;
}

export const RATE_LIMIT_FORM =
  'expected "<workers>,<percent>" or "<workers>,<percent>,<period s>", e.g. "4,100,15"';

/**
 * "4,100,15": the fleet may move by the larger of 4 workers and 100% of its size per 15 s. Null when
 * the text is not of that form; ranges are checked with the rest of the policy.
 */
export function parseRateLimit(text: string): RateLimitSetting | null {
  const parts = text.split(',').map((part) => part.trim());
  const numbers = parts.map(Number);
  if (
    (parts.length !== 2 && parts.length !== 3) ||
    parts.some((part) => part === '') ||
    numbers.some((n) => !Number.isFinite(n))
  ) {
    return null;
  }
  const [workers = 0, percent = 0, periodS] = numbers;
  return periodS === undefined ? { workers, percent } : { workers, percent, periodS };
}

/** `SCALE_UP_LIMIT` / `SCALE_DOWN_LIMIT`, in parseRateLimit's form. */
export const rateLimitField = (defaultValue: RateLimitSetting) =>
  z
    .string()
    .optional()
    .transform((value, ctx): RateLimitSetting => {
      if (value === undefined || value.trim() === '') return defaultValue;
      const limit = parseRateLimit(value);
      if (limit === null) {
        ctx.addIssue({ code: 'custom', message: RATE_LIMIT_FORM });
        return z.NEVER;
      }
      return limit;
    });

/**
 * A decimal from `min` to `max` (above `min` with `minExcluded`), such as TARGET_UTILIZATION in
 * (0, 1] or SCALE_TOLERANCE in [0, 0.99].
 */
export const decimalField = (
  defaultValue: number,
  { min, max, minExcluded = false }: { min: number; max: number; minExcluded?: boolean },
) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return defaultValue;
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n < min || (minExcluded && n === min) || n > max) {
        const from = minExcluded ? `greater than ${min}` : `from ${min}`;
        ctx.addIssue({ code: 'custom', message: `expected a number ${from} and at most ${max}` });
        return z.NEVER;
      }
      return n;
    });

const ScheduledMinimumShape = z.object({
  cron: z.string(),
  durationS: z.number(),
  minWorkers: z.number(),
});

/**
 * `SCHEDULED_MINIMUMS`: a JSON array of `{ "cron", "durationS", "minWorkers" }`, e.g. ten workers
 * from 08:00 UTC on weekdays for ten hours: `[{"cron":"0 8 * * 1-5","durationS":36000,"minWorkers":10}]`.
 * The shape is checked here; cron syntax and ranges with the rest of the policy.
 */
export const scheduledMinimumsField = z
  .string()
  .optional()
  .transform((value, ctx): ScheduledMinimum[] => {
    if (value === undefined || value.trim() === '') return [];
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON array of {"cron","durationS","minWorkers"}' });
      return z.NEVER;
    }
    const parsed = z.array(ScheduledMinimumShape).safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: `${formatPath(issue.path)}: ${issue.message}` });
      }
      return z.NEVER;
    }
    return parsed.data;
  });

/** "[0].cron" for the path [0, "cron"]. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
}
