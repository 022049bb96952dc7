import { LIMITED_PROVIDERS } from './limit-key.ts';

/** How hard the whole fleet may use one provider account. */
export interface KeyLimits {
  /** Requests started per second, across every worker process. */
  perSecond: number;
  /** Downloads in flight at once, across every worker process. */
  maxDownloads: number;
}

export const PER_SECOND_RANGE = { min: 1, max: 10_000 } as const;
export const MAX_DOWNLOADS_RANGE = { min: 1, max: 1024 } as const;

const ENTRY = new RegExp(`^((?:${LIMITED_PROVIDERS.join('|')}):[^\\s=,]+)=(\\d+)/(\\d+)$`);

/**
 * Parses `dropbox:app:abc=20/4,gdrive:client:xyz=5/2` (limiter key = requests per second / concurrent
 * downloads). Throws a RangeError naming the bad entry by position: entries name accounts, and
 * start-up errors must not echo configuration values.
 */
export function parseRateLimitOverrides(value: string): Map<string, KeyLimits> {
  const overrides = new Map<string, KeyLimits>();
  const entries = value.trim() === '' ? [] : value.split(',');
  entries.forEach((raw, index) => {
    const position = `entry ${index + 1}`;
    const match = ENTRY.exec(raw.trim());
    if (!match) {
      throw new RangeError(
        `${position}: expected <${LIMITED_PROVIDERS.join('|')}>:<account>=<requests per second>/<concurrent downloads>`,
      );
    }
    const [, key = '', perSecond = '', maxDownloads = ''] = match;
    const limits = { perSecond: Number(perSecond), maxDownloads: Number(maxDownloads) };
    if (limits.perSecond < PER_SECOND_RANGE.min || limits.perSecond > PER_SECOND_RANGE.max) {
      throw new RangeError(
        `${position}: requests per second must be from ${PER_SECOND_RANGE.min} to ${PER_SECOND_RANGE.max}`,
      );
    }
    if (limits.maxDownloads < MAX_DOWNLOADS_RANGE.min || limits.maxDownloads > MAX_DOWNLOADS_RANGE.max) {
      throw new RangeError(
        `${position}: concurrent downloads must be from ${MAX_DOWNLOADS_RANGE.min} to ${MAX_DOWNLOADS_RANGE.max}`,
      );
    }
    if (overrides.has(key)) throw new RangeError(`${position}: repeats the key of an earlier entry`);
    overrides.set(key, limits);
  });
  return overrides;
}
