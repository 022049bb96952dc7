/** Numbers as reasons print them: at most two decimals, no trailing zeros ("0.9", "1.75", "12"). */
export function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A duration in seconds as a person reads it in a reason: "45 s", "5 min", "1.5 h". */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 7200) return `${formatNumber(seconds / 60)} min`;
  return `${formatNumber(seconds / 3600)} h`;
}

/**
 * Worker counts: ceil and floor that never go below zero and ignore floating-point dust: 180 / (2 × 0.9) is 100.00000000000001 in
 * binary, and a fleet must not get a 101st worker for it.
 */
export function ceilCount(value: number): number {
  return Math.max(0, Math.ceil(value - 1e-9));
}

export function floorCount(value: number): number {
  return Math.max(0, Math.floor(value + 1e-9));
}
