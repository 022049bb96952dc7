import { envInt } from '@ferry/shared';
import { z } from 'zod';
import { parseHostLimits } from './host-limits.ts';
import { MAX_DOWNLOADS_RANGE, PER_SECOND_RANGE, parseRateLimitOverrides } from './rate-limit-overrides.ts';

const perSecond = (defaultValue: number) => envInt(defaultValue, PER_SECOND_RANGE.min, PER_SECOND_RANGE.max);
const maxDownloads = (defaultValue: number) =>
  envInt(defaultValue, MAX_DOWNLOADS_RANGE.min, MAX_DOWNLOADS_RANGE.max);

/**
 * Fleet-wide limits, per provider account and per HTTP origin (limiter key); every worker process
 * must agree on them.
 */
export const LimitsEnvFields = {
  /** Requests per second to one Dropbox account (app or token), across the whole fleet. */
  DROPBOX_RATE_LIMIT_PER_S: perSecond(10),
  /** Downloads from one Dropbox account in flight at once, across the whole fleet. */
  DROPBOX_MAX_DOWNLOADS: maxDownloads(8),
  GDRIVE_RATE_LIMIT_PER_S: perSecond(10),
  GDRIVE_MAX_DOWNLOADS: maxDownloads(8),
  /** Per-account exceptions: `dropbox:app:abc=20/4,gdrive:user:xyz=5/2` (requests/s / downloads). */
  RATE_LIMIT_OVERRIDES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseRateLimitOverrides(value ?? '');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Plain HTTP origins, per host across the fleet: `default=8/20,example.com=2/5` (concurrent
   * downloads / requests per second; `=unlimited` exempts a host). Unset, hosts are not limited: a
   * number that suits a small server throttles a CDN or S3, and an origin that cannot keep up says so
   * with 429 or 503 Retry-After, which pauses it fleet-wide whatever this says.
   */
  HTTP_HOST_LIMITS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseHostLimits(value ?? '');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * How long a request waits inline for a paused account or origin. A longer pause fails the request with
   * RATE_LIMITED and its retry time, and the job is delayed until then instead of holding a worker.
   */
  RATE_LIMIT_MAX_WAIT_S: envInt(30, 0, 3600),
};

/** The limits on their own: the worker spreads the fields into its schema; tests parse just these. */
export const LimitsEnv = z.object(LimitsEnvFields);
export type LimitsConfig = z.infer<typeof LimitsEnv>;
