import { describe, expect, it } from 'vitest';
import { cronMatches, parseCron } from './cron.ts';

const at = (iso: string) => Date.parse(`${iso}Z`);

describe('parseCron and cronMatches', () => {
  it('matches numbers, ranges, lists and steps in UTC', () => {
    const cron = parseCron('0,30 8-17/3 * * 1-5');
    expect(cronMatches(cron, at('2026-01-05T08:00:00'))).toBe(true); // Monday 08:00
    expect(cronMatches(cron, at('2026-01-05T14:30:59'))).toBe(true);
    expect(cronMatches(cron, at('2026-01-05T09:00:00'))).toBe(false); // hour not in 8,11,14,17
    expect(cronMatches(cron, at('2026-01-05T08:15:00'))).toBe(false);
    expect(cronMatches(cron, at('2026-01-04T08:00:00'))).toBe(false); // Sunday
  });

  it('takes 7 as Sunday and "a/n" as a step from a to the end', () => {
    expect(cronMatches(parseCron('* * * * 7'), at('2026-01-04T10:00:00'))).toBe(true);
    const steps = parseCron('5/20 * * * *');
    expect([...steps.minutes]).toEqual([5, 25, 45]);
  });

  it('matches either day field when both are restricted, as cron does', () => {
    const cron = parseCron('0 0 1 * 1');
    expect(cronMatches(cron, at('2026-01-01T00:00:00'))).toBe(true); // the 1st, a Thursday
    expect(cronMatches(cron, at('2026-01-05T00:00:00'))).toBe(true); // a Monday
    expect(cronMatches(cron, at('2026-01-06T00:00:00'))).toBe(false);
    expect(cronMatches(parseCron('0 0 1 * *'), at('2026-01-05T00:00:00'))).toBe(false);
  });

  it('names the setting and the field in errors', () => {
    expect(() => parseCron('61 * * * *', 'schedule[0].cron')).toThrow(
      'cron "61 * * * *": minute "61": 61 is outside 0-59',
    );
    expect(() => parseCron('* * * *')).toThrow('expected 5 fields');
    expect(() => parseCron('* * * JAN *')).toThrow('month "JAN": "JAN" is not a number');
    expect(() => parseCron('* 5-2 * * *')).toThrow('hour "5-2": range 5-2 runs backwards');
    expect(() => parseCron('*/0 * * * *')).toThrow('a step must be at least 1');
    try {
      parseCron('* * 0 * *', 'schedule[2].cron');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: [{ field: 'schedule[2].cron' }] });
    }
  });
});
