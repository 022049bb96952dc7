/**
 * HPA's tolerance: a metric within this share of its target (usage ratio within 1 ± tolerance)
 * keeps the current count, so small wobbles in the signal never move the fleet.
 */
export function withinTolerance(usageRatio: number, tolerance: number): boolean {
  return Math.abs(usageRatio - 1) <= tolerance;
}
