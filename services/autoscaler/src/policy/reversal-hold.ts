import { formatSeconds } from './format.ts';
import type { Step } from './stabilization.ts';
import type { PolicyState } from './types.ts';

type Change = PolicyState['changes'][number];

const direction = (change: Change) => Math.sign(change.to - change.from);

/**
 * Load that more than doubles the fleet's largest size during the hold is a surge, not noise: a
 * steady load's recommendation wanders by a few standard deviations (√n jobs for n in flight),
 * nowhere near twice its recent peak.
 */
const SURGE_FACTOR = 2;

/**
 * At most one change of direction per hold (the scale-down window). The window alone spaces an
 * up → down turn, since every scale-up leaves its recommendation in the window; this spaces the
 * down → up turn too, which a noisy but steady load triggers whenever a fresh peak comes right
 * after a scale-down. Two escapes keep real load from waiting: a fleet at zero always starts, and
 * a surge (more than double the fleet's largest size during the hold) scales up at once.
 */
export function holdReversal(
  current: number,
  proposed: number,
  changes: readonly Change[],
  now: number,
  holdS: number,
): Step {
  const wanted = Math.sign(proposed - current);
  const last = changes.at(-1);
  if (wanted === 0 || current === 0 || last === undefined || direction(last) === wanted) {
    return { workers: proposed };
  }
  // Getting back to the last count asked for (a worker lost to a crash or a Spot reclaim) is no turn.
  const held = wanted > 0 ? Math.max(current, last.to) : Math.min(current, last.to);
  if (wanted > 0 ? proposed <= held : proposed >= held) return { workers: proposed };
  // The trailing run of changes in the last direction; it began with a reversal if a change in the
  // other direction precedes it (state keeps one change from before the horizon for this).
  let runStart = changes.length - 1;
  while (runStart > 0 && direction(changes[runStart - 1] as Change) === direction(last)) runStart -= 1;
  const reversal = runStart > 0 ? (changes[runStart] as Change) : undefined;
  if (reversal === undefined || now - reversal.at >= holdS * 1000) return { workers: proposed };
  const ago = formatSeconds((now - reversal.at) / 1000);
  if (wanted < 0) {
    return {
      workers: held,
      note: `held at ${held}: turned up ${ago} ago, next turn after ${formatSeconds(holdS)}`,
    };
  }
  let peak = current;
  for (const change of changes) {
    if (change.at > now - holdS * 1000) peak = Math.max(peak, change.from, change.to);
  }
  const surge = peak * SURGE_FACTOR;
  if (proposed > surge) return { workers: proposed };
  return {
    workers: held,
    note: `held at ${held}: turned down ${ago} ago, next turn after ${formatSeconds(holdS)} unless load needs more than ${surge}`,
  };
}
