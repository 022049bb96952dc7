import { describe, expect, it } from 'vitest';
import { scheduledMinimum, windowOpen } from './schedule.ts';

const at = (iso: string) => Date.parse(`${iso}Z`);
const businessHours = { cron: '0 8 * * 1-5', durationS: 10 * 3600, minWorkers: 4 };

describe('scheduled minimums', () => {
  it('is open from the cron minute for durationS, and closed outside', () => {
    expect(windowOpen(businessHours, at('2026-01-05T07:59:59'))).toBe(false);
    expect(windowOpen(businessHours, at('2026-01-05T08:00:00'))).toBe(true);
    expect(windowOpen(businessHours, at('2026-01-05T17:59:59'))).toBe(true);
    expect(windowOpen(businessHours, at('2026-01-05T18:00:00'))).toBe(false);
    expect(windowOpen(businessHours, at('2026-01-10T12:00:00'))).toBe(false); // Saturday
  });

  it('keeps a window open across midnight', () => {
    const nightly = { cron: '0 22 * * *', durationS: 4 * 3600, minWorkers: 2 };
    expect(windowOpen(nightly, at('2026-01-06T01:30:00'))).toBe(true);
    expect(windowOpen(nightly, at('2026-01-06T02:00:00'))).toBe(false);
  });

  it('picks the highest minimum among the open windows', () => {
    const peak = { cron: '0 12 * * *', durationS: 3600, minWorkers: 8 };
    expect(scheduledMinimum([businessHours, peak], at('2026-01-05T12:30:00'))).toBe(peak);
    expect(scheduledMinimum([businessHours, peak], at('2026-01-05T14:00:00'))).toBe(businessHours);
    expect(scheduledMinimum([businessHours, peak], at('2026-01-05T20:00:00'))).toBeNull();
    expect(scheduledMinimum([], at('2026-01-05T12:00:00'))).toBeNull();
  });
});
