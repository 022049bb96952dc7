import { cronMatches, parseCron } from './cron.ts';
import type { ScheduledMinimum } from './types.ts';

const MINUTE_MS = 60_000;

/** Whether a window opened by `entry.cron` within the last `entry.durationS` is still open at `now`. */
export function windowOpen(entry: ScheduledMinimum, now: number, field = 'cron'): boolean {
  const cron = parseCron(entry.cron, field);
  const earliest = now - entry.durationS * 1000;
  for (let minute = Math.floor(now / MINUTE_MS) * MINUTE_MS; minute > earliest; minute -= MINUTE_MS) {
    if (cronMatches(cron, minute)) return true;
  }
  return false;
}

/** The highest minimum among the open windows, with the entry that sets it; null when none is open. */
export function scheduledMinimum(
  schedule: readonly ScheduledMinimum[],
  now: number,
): ScheduledMinimum | null {
  let best: ScheduledMinimum | null = null;
  schedule.forEach((entry, i) => {
    if (
      (best === null || entry.minWorkers > best.minWorkers) &&
      windowOpen(entry, now, `schedule[${i}].cron`)
    )
      best = entry;
  });
  return best;
}
