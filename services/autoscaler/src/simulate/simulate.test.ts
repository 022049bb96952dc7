import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPolicyConfig } from '../policy/policy-config.ts';
import { type SimulationPoint, simulate } from './simulate.ts';
import { summarize } from './summarize.ts';
import { parseTrace, type TraceRow } from './trace.ts';

const spike = parseTrace(readFileSync(new URL('../../traces/spike-200.csv', import.meta.url), 'utf8'));
const fleet = { startupS: 60, concurrency: 4, jobDurationS: 120 };

const firstIndex = (series: SimulationPoint[], test: (p: SimulationPoint) => boolean) =>
  series.findIndex(test);

describe('simulate the 200-import spike', () => {
  const config = { ...defaultPolicyConfig(), maxWorkers: 20 };
  const series = simulate(spike, config, fleet, { intervalS: 15 });

  it('reaches MAX_WORKERS, drains the backlog, and returns to MIN_WORKERS after the down window', () => {
    const atMax = firstIndex(series, (p) => p.currentWorkers === 20);
    expect(atMax).toBeGreaterThan(0);
    const drained = firstIndex(series, (p) => p.backlog === 0);
    expect(drained).toBeGreaterThan(atMax);
    const backAtMin = series.findIndex((p, i) => i > drained && p.desired === 1 && p.currentWorkers === 1);
    expect(backAtMin).toBeGreaterThan(drained);
    const drainedAt = (series[drained] as SimulationPoint).t;
    // The last recommendation above one came at most a tick before the backlog was gone.
    expect((series[backAtMin] as SimulationPoint).t).toBeGreaterThanOrEqual(drainedAt + 300 - 15);
    const last = series.at(-1) as SimulationPoint;
    expect(last).toMatchObject({ backlog: 0, desired: 1, currentWorkers: 1, pendingWorkers: 0 });
  });

  it('ramps up within the rate limit and starts workers after their startup time', () => {
    expect(series.slice(0, 5).map((p) => p.desired)).toEqual([5, 10, 20, 20, 20]);
    expect(series.slice(0, 5).map((p) => p.currentWorkers)).toEqual([1, 1, 1, 1, 5]);
    expect(series[0]?.reason).toBe(
      'backlog 200 jobs / (4 × 0.9) → 56, capped at max 20, limited to 5 (+4 or +100% per 15 s from 1)',
    );
  });

  it('sums up: peak, drain time, worker-seconds and one change of direction', () => {
    const summary = summarize(series);
    expect(summary).toMatchObject({
      peakBacklog: 200,
      peakBacklogAtS: 0,
      peakWorkers: 20,
    });
    expect(summary.directionChangesAtS).toHaveLength(1);
    expect(summary.timeToDrainS).toBe((series.find((p) => p.backlog === 0) as SimulationPoint).t);
    // 200 jobs × 120 s = 24,000 job-seconds over 4 slots a worker: at least 6,000 worker-seconds.
    expect(summary.workerSeconds).toBeGreaterThan(6000);
    expect(summary.workerSeconds).toBe(series.at(-1)?.workerSeconds);
  });
});

describe('simulate', () => {
  it('starts from zero and goes back to zero after the cooldown with MIN_WORKERS 0', () => {
    const config = { ...defaultPolicyConfig(), minWorkers: 0, scaleToZeroCooldownS: 120 };
    const series = simulate([{ t: 30, arrivals: 3, jobDurationS: 40 }], config, fleet, { intervalS: 15 });
    expect(series[0]?.desired).toBe(0);
    expect(series.find((p) => p.t === 30)?.desired).toBe(1);
    const idleFrom = series.findLast((p) => p.backlog > 0)?.t as number;
    const zeroAt = series.find((p) => p.t > 30 && p.desired === 0)?.t as number;
    expect(zeroAt - idleFrom).toBeGreaterThanOrEqual(120);
    expect(series.at(-1)).toMatchObject({ desired: 0, currentWorkers: 0, pendingWorkers: 0 });
  });

  it('uses each row’s job duration over the default', () => {
    const config = { ...defaultPolicyConfig(), maxWorkers: 1 };
    const model = { startupS: 0, concurrency: 1, jobDurationS: 1000 };
    const series = simulate([{ t: 0, arrivals: 1, jobDurationS: 30 }], config, model, { intervalS: 15 });
    expect(series.find((p) => p.backlog === 0)?.t).toBe(30);
  });

  it('stops at endS when given', () => {
    const series = simulate(spike, defaultPolicyConfig(), fleet, { intervalS: 10, endS: 100 });
    expect(series.map((p) => p.t)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('changes direction at most once per 5 minutes under a noisy steady load', () => {
    // About 6 imports a minute at random seconds (a seeded LCG), 120 s each, for three hours.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const trace: TraceRow[] = [];
    for (let t = 0; t < 3 * 3600; t += 1) if (random() < 0.1) trace.push({ t, arrivals: 1 });
    const series = simulate(trace, { ...defaultPolicyConfig(), maxWorkers: 40 }, fleet, { intervalS: 15 });
    const turns: number[] = [];
    let last = 0;
    for (let i = 1; i < series.length; i += 1) {
      const direction = Math.sign(
        (series[i] as SimulationPoint).desired - (series[i - 1] as SimulationPoint).desired,
      );
      if (direction !== 0 && last !== 0 && direction !== last) turns.push((series[i] as SimulationPoint).t);
      if (direction !== 0) last = direction;
    }
    expect(turns.length).toBeGreaterThan(0);
    for (let i = 1; i < turns.length; i += 1) {
      expect((turns[i] as number) - (turns[i - 1] as number)).toBeGreaterThanOrEqual(300);
    }
  });
});
