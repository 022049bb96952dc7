import type { Recommendation } from './types.ts';

/**
 * One sentence for people: the winning rule's arithmetic, the other rules' answers, then what each
 * later step did to it: "backlog 180 jobs / (2 × 0.9) → 100 (cpu → 3), capped at max 40".
 */
export function buildReason(
  winner: Recommendation,
  others: readonly Recommendation[],
  notes: readonly string[],
): string {
  const rest = others.length > 0 ? ` (${others.map((r) => `${r.rule} → ${r.workers}`).join(', ')})` : '';
  return [`${winner.detail}${rest}`, ...notes].join(', ');
}
