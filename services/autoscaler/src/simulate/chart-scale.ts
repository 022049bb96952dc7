/** The smallest "nice" step (1, 2, 2.5 or 5 × 10^n) of at least `rough`; whole numbers when `whole`. */
export function niceStep(rough: number, whole: boolean): number {
  if (!(rough > 0)) return 1;
  const base = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = m * base;
    if (step >= rough - 1e-12 && (!whole || Number.isInteger(step))) return step;
  }
  return 10 * base;
}

/**
 * Ticks for two y-axes (whole numbers, from 0) that share their gridlines: the same number of
 * divisions, 4 to 6, whichever leaves the least empty space above the two maxima.
 */
export function sharedTicks(maxLeft: number, maxRight: number): { left: number[]; right: number[] } {
  let best = { left: [0], right: [0], waste: Number.POSITIVE_INFINITY };
  for (const divisions of [4, 5, 6]) {
    const left = niceStep(maxLeft / divisions, true);
    const right = niceStep(maxRight / divisions, true);
    const waste = (left * divisions) / maxLeft + (right * divisions) / maxRight;
    if (waste < best.waste) {
      const ticks = (step: number) => Array.from({ length: divisions + 1 }, (_, i) => i * step);
      best = { left: ticks(left), right: ticks(right), waste };
    }
  }
  return { left: best.left, right: best.right };
}

const TIME_STEPS_S = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

export interface TimeAxis {
  ticks: number[];
  /** Divide seconds by this for labels: 1, 60 or 3600. */
  unitS: number;
  title: string;
}

/** At most about ten time ticks on round seconds, minutes or hours, whichever suits the span. */
export function timeAxis(spanS: number): TimeAxis {
  const step = TIME_STEPS_S.find((s) => spanS / s <= 10) ?? niceStep(spanS / 10, true);
  const ticks: number[] = [];
  for (let t = 0; t <= spanS + 1e-9; t += step) ticks.push(t);
  if (spanS <= 300) return { ticks, unitS: 1, title: 'seconds since start' };
  if (spanS <= 4 * 3600) return { ticks, unitS: 60, title: 'minutes since start' };
  return { ticks, unitS: 3600, title: 'hours since start' };
}
