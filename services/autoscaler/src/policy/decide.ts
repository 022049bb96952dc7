import { backlogRule, countBacklog } from './backlog.ts';
import { capAtMax, lowerBound, raiseToFloor } from './bounds.ts';
import { nextPolicyState } from './policy-state.ts';
import { rateLimit } from './rate-limits.ts';
import { buildReason } from './reason.ts';
import { holdReversal } from './reversal-hold.ts';
import { zeroVerdict } from './scale-to-zero.ts';
import { scheduledMinimum } from './schedule.ts';
import { stabilize } from './stabilization.ts';
import { targetTrackingRule } from './target-tracking.ts';
import type { Decision, PolicyConfig, PolicyState, Recommendation, Signals } from './types.ts';

function metricRecommendations(signals: Signals, current: number, config: PolicyConfig): Recommendation[] {
  const recs = [backlogRule(countBacklog(signals), signals.workerConcurrency, current, config)];
  const tracked = [
    ['cpu', signals.cpuUtilization, config.cpuTargetPercent],
    ['memory', signals.memoryUtilization, config.memoryTargetPercent],
  ] as const;
  for (const [rule, utilization, target] of tracked) {
    if (target === undefined || utilization === undefined || !Number.isFinite(utilization)) continue;
    const rec = targetTrackingRule(
      rule,
      utilization,
      target,
      signals.currentWorkers,
      current,
      config.tolerance,
    );
    if (rec) recs.push(rec);
  }
  return recs;
}

/**
 * The scaling policy: a pure function of the signals, the previous state and the time
 * (`signals.at`). The rules recommend (backlog per worker, CPU and memory target tracking; the
 * largest wins), then the stabilization windows, the reversal hold and the rate limits temper the
 * change, and the bounds (min, max, schedule, scale to zero) have the last word.
 *
 * The fleet it scales from is running + pending workers, like HPA's spec.replicas: workers asked
 * for and still starting count, so a slow start does not make the policy ask again.
 */
export function decide(
  signals: Signals,
  previous: PolicyState,
  config: PolicyConfig,
): { decision: Decision; state: PolicyState } {
  const now = signals.at;
  const current = signals.currentWorkers + signals.pendingWorkers;
  // Like HPA's first sight of a target: the window starts out holding the fleet as it is, so an
  // autoscaler that restarts does not scale in before it has watched a whole window.
  const state =
    previous.lastBusyAt === null
      ? { ...previous, recommendations: [{ at: now, workers: current }] }
      : previous;
  const backlog = countBacklog(signals).total;
  // Before the first decision nothing is known, so a restart waits a whole cooldown before zero.
  const lastBusyAt = backlog > 0 || state.lastBusyAt === null ? now : state.lastBusyAt;

  const metrics = metricRecommendations(signals, current, config);
  const winner = metrics.reduce((best, rec) => (rec.workers > best.workers ? rec : best));
  const others = metrics.filter((rec) => rec !== winner);
  const zero = zeroVerdict(config, current, backlog, (now - lastBusyAt) / 1000);
  const lower = lowerBound(config, current, zero, scheduledMinimum(config.schedule, now));

  const notes: string[] = [];
  let raw = winner.workers;
  if (zero?.kind === 'stay') {
    raw = 0;
    notes.push(zero.detail);
  } else if (current === 0) {
    raw = Math.max(raw, 1);
  }

  let desired: number;
  if (zero?.kind === 'scale-in') {
    notes.push(zero.detail);
    const bounded = raiseToFloor(0, lower);
    if (bounded.note) notes.push(bounded.note);
    desired = bounded.workers;
  } else {
    let workers = raw;
    const steps = [
      () => stabilize(current, raw, state.recommendations, now, config),
      () => holdReversal(current, workers, state.changes, now, config.scaleDownStabilizationS),
      () => capAtMax(workers, config.maxWorkers),
      // A fleet above MAX_WORKERS (the setting was lowered) goes straight to it, as HPA's does.
      () =>
        current > config.maxWorkers ? { workers } : rateLimit(current, workers, state.changes, now, config),
      () => raiseToFloor(workers, lower),
    ];
    const stepNotes: string[] = [];
    for (const step of steps) {
      const result = step();
      workers = result.workers;
      if (result.note) stepNotes.push(result.note);
    }
    // A floor that raised the result is the whole story: what the window or limits said before is moot.
    notes.push(...(workers === lower.workers && raw < lower.workers ? [lower.raise] : stepNotes));
    desired = workers;
  }

  const bound = lower.workers > 0 ? [{ rule: lower.rule, workers: lower.workers, detail: lower.detail }] : [];
  const decision: Decision = {
    at: now,
    current,
    desired,
    recommendations: [...metrics, ...bound],
    reason: buildReason(winner, others, notes),
  };
  return { decision, state: nextPolicyState(state, config, { at: now, raw, current, desired, lastBusyAt }) };
}
