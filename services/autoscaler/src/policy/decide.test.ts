import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { defaultPolicyConfig } from './policy-config.ts';
import { initialPolicyState } from './policy-state.ts';
import type { Decision, PolicyConfig, PolicyState, Signals } from './types.ts';

const S = 1000;
/** Monday 2026-01-05 00:00 UTC: the fake clock's zero. */
const T0 = Date.UTC(2026, 0, 5);

interface Load {
  t: number;
  backlog: number;
  current: number;
  pending?: number;
  concurrency?: number;
  cpu?: number;
  memory?: number;
}

function signals(load: Load): Signals {
  return {
    at: T0 + load.t * S,
    queues: [
      {
        queue: 'imports',
        waiting: load.backlog,
        prioritized: 0,
        active: 0,
        delayedDue: 0,
        unfed: 0,
        oldestWaitingAgeS: 0,
      },
    ],
    workerConcurrency: load.concurrency ?? 2,
    currentWorkers: load.current,
    pendingWorkers: load.pending ?? 0,
    ...(load.cpu === undefined ? {} : { cpuUtilization: load.cpu }),
    ...(load.memory === undefined ? {} : { memoryUtilization: load.memory }),
  };
}

function config(overrides: Partial<PolicyConfig> = {}): PolicyConfig {
  return { ...defaultPolicyConfig(), maxWorkers: 100, ...overrides };
}

/** A fleet that becomes what the policy asks at once; `backlogAt(t, workers)` is the load. */
function run(
  cfg: PolicyConfig,
  { from, until, step, start }: { from: number; until: number; step: number; start: number },
  backlogAt: (t: number, workers: number) => number,
  state: PolicyState = initialPolicyState(),
): { decisions: Decision[]; state: PolicyState } {
  const decisions: Decision[] = [];
  let workers = start;
  for (let t = from; t <= until; t += step) {
    const result = decide(signals({ t, backlog: backlogAt(t, workers), current: workers }), state, cfg);
    decisions.push(result.decision);
    state = result.state;
    workers = result.decision.desired;
  }
  return { decisions, state };
}

describe('decide: the rules', () => {
  it('gives the example from the issue', () => {
    const { decision } = decide(
      signals({ t: 0, backlog: 180, current: 40 }),
      initialPolicyState(),
      config({ maxWorkers: 40 }),
    );
    expect(decision).toMatchObject({ current: 40, desired: 40 });
    expect(decision.reason).toBe('backlog 180 jobs / (2 × 0.9) → 100, capped at max 40');
  });

  it('lets the largest recommendation win and lists the others', () => {
    const cfg = config({ cpuTargetPercent: 60, memoryTargetPercent: 80 });
    const { decision } = decide(
      signals({ t: 0, backlog: 18, current: 10, cpu: 90, memory: 40 }),
      initialPolicyState(),
      cfg,
    );
    expect(decision.desired).toBe(15);
    expect(decision.reason).toBe('cpu 90% / target 60% × 10 running → 15 (backlog → 10, memory → 5)');
    expect(decision.recommendations.map((r) => [r.rule, r.workers])).toEqual([
      ['backlog', 10],
      ['cpu', 15],
      ['memory', 5],
      ['minimum', 1],
    ]);
  });

  it('counts pending workers as part of the fleet it scales from', () => {
    const { decision } = decide(
      signals({ t: 0, backlog: 36, current: 4, pending: 16 }),
      initialPolicyState(),
      config(),
    );
    expect(decision).toMatchObject({ current: 20, desired: 20 });
  });

  it('clamps to MIN_WORKERS and MAX_WORKERS', () => {
    const low = decide(
      signals({ t: 0, backlog: 0, current: 1 }),
      initialPolicyState(),
      config({ minWorkers: 3 }),
    );
    expect(low.decision.desired).toBe(3);
    expect(low.decision.reason).toBe('backlog 0 jobs / (2 × 0.9) → 0, raised to min 3');
    const high = decide(
      signals({ t: 0, backlog: 500, current: 8 }),
      initialPolicyState(),
      config({ maxWorkers: 12 }),
    );
    expect(high.decision.desired).toBe(12);
  });

  it('ramps up by the rate limit, +4 or +100% per 15 s', () => {
    const { decisions } = run(
      config({ maxWorkers: 40 }),
      { from: 0, until: 75, step: 15, start: 1 },
      () => 200,
    );
    expect(decisions.map((d) => d.desired)).toEqual([5, 10, 20, 40, 40, 40]);
    expect(decisions[0]?.reason).toBe(
      'backlog 200 jobs / (2 × 0.9) → 112, capped at max 40, limited to 5 (+4 or +100% per 15 s from 1)',
    );
  });

  it('stays within the tolerance of the current count', () => {
    const { decision } = decide(signals({ t: 0, backlog: 19, current: 10 }), initialPolicyState(), config());
    expect(decision.desired).toBe(10);
  });
});

describe('decide: stabilization over time', () => {
  it('scales up at once but down only after 300 s, to the highest recommendation within them', () => {
    const load = (t: number) => (t < 60 ? 36 : t < 120 ? 18 : 2);
    const { decisions } = run(config(), { from: 0, until: 600, step: 15, start: 20 }, load);
    const at = (t: number) => decisions[t / 15];
    expect(at(0)?.desired).toBe(20);
    expect(at(60)?.desired).toBe(20); // 18 jobs want 10, but 20 was recommended 60 s ago
    expect(at(345)?.desired).toBe(10); // the last "20" (at 45 s) left the window
    expect(at(345)?.reason).toBe(
      'backlog 2 jobs / (2 × 0.9) → 2, held at 10: highest recommendation in the 5 min scale-down window',
    );
    expect(at(390)?.desired).toBe(10);
    expect(at(405)?.desired).toBe(2); // the last "10" (at 105 s) has left too
  });

  it('answers a burst at once even right after a recommendation to shrink', () => {
    const load = (t: number) => (t < 30 ? 2 : 36);
    const { decisions } = run(config(), { from: 0, until: 30, step: 15, start: 20 }, load);
    expect(decisions.map((d) => d.desired)).toEqual([20, 20, 20]);
  });
});

describe('decide: zero', () => {
  const zeroConfig = config({ minWorkers: 0, activationBacklog: 5, scaleToZeroCooldownS: 300 });

  it('stays at zero until the backlog passes the activation threshold', () => {
    const quiet = decide(signals({ t: 0, backlog: 5, current: 0 }), initialPolicyState(), zeroConfig);
    expect(quiet.decision.desired).toBe(0);
    expect(quiet.decision.reason).toBe('backlog 5 jobs / (2 × 0.9) → 3, backlog 5 ≤ activation 5: stay at 0');
    const busy = decide(signals({ t: 15, backlog: 6, current: 0 }), quiet.state, zeroConfig);
    expect(busy.decision.desired).toBe(4);
    expect(busy.decision.reason).toBe('backlog 6 jobs / (2 × 0.9) → 4');
  });

  it('starts one worker for a single job with the default activation of 0', () => {
    const cfg = config({ minWorkers: 0 });
    const { decision } = decide(signals({ t: 0, backlog: 1, current: 0 }), initialPolicyState(), cfg);
    expect(decision.desired).toBe(1);
  });

  it('scales to zero after the cooldown with no job at all, and not before', () => {
    const cfg = { ...zeroConfig, scaleToZeroCooldownS: 600 };
    const load = (t: number) => (t < 100 ? 3 : 0);
    const { decisions } = run(cfg, { from: 0, until: 900, step: 15, start: 2 }, load);
    const at = (t: number) => decisions[t / 15];
    expect(at(375)?.desired).toBe(2); // the "2" from 90 s is still in the window
    expect(at(390)?.desired).toBe(1); // window passed: down to the floor of one
    expect(at(390)?.reason).toBe('backlog 0 jobs / (2 × 0.9) → 0, raised to 1 until idle for 10 min');
    expect(at(675)?.desired).toBe(1);
    // Last busy at 90 s: zero at 690 s, one full cooldown later.
    expect(at(690)?.desired).toBe(0);
    expect(at(690)?.reason).toBe('backlog 0 jobs / (2 × 0.9) → 0, idle 10 min ≥ cooldown 10 min: scale to 0');
    expect(decisions.slice(690 / 15).every((d) => d.desired === 0)).toBe(true);
  });

  it('keeps a fleet with only active jobs (below activation) at one', () => {
    const { decisions } = run(zeroConfig, { from: 0, until: 900, step: 15, start: 1 }, () => 1);
    expect(decisions.every((d) => d.desired === 1)).toBe(true);
  });
});

describe('decide: scheduled minimums', () => {
  const cfg = config({
    minWorkers: 0,
    schedule: [{ cron: '0 8 * * 1-5', durationS: 10 * 3600, minWorkers: 6 }],
  });

  it('raises the floor inside the window', () => {
    const { decision } = decide(signals({ t: 9 * 3600, backlog: 0, current: 2 }), initialPolicyState(), cfg);
    expect(decision.desired).toBe(6);
    expect(decision.reason).toBe('backlog 0 jobs / (2 × 0.9) → 0, raised to scheduled min 6 (0 8 * * 1-5)');
    expect(decision.recommendations.at(-1)).toEqual({
      rule: 'schedule',
      workers: 6,
      detail: 'scheduled min 6 (0 8 * * 1-5 for 10 h)',
    });
  });

  it('leaves the other rules alone outside the window', () => {
    const { decision } = decide(signals({ t: 19 * 3600, backlog: 0, current: 0 }), initialPolicyState(), cfg);
    expect(decision.desired).toBe(0);
  });
});

describe('decide: steady load', () => {
  /** mulberry32: a small seeded generator, so the noise is the same on every run. */
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function directionChanges(decisions: Decision[]): number[] {
    const turns: number[] = [];
    let last = 0;
    for (const d of decisions) {
      const dir = Math.sign(d.desired - d.current);
      if (dir !== 0 && last !== 0 && dir !== last) turns.push(d.at);
      if (dir !== 0) last = dir;
    }
    return turns;
  }

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`changes direction at most once per 5 minutes under a noisy steady load (seed ${seed})`, () => {
      const next = random(seed);
      // Around 40 jobs, ±50%: wants 12 to 34 workers from one tick to the next.
      const { decisions, state } = run(config(), { from: 0, until: 6 * 3600, step: 15, start: 1 }, () =>
        Math.round(40 * (0.5 + next())),
      );
      const changes = decisions.filter((d) => d.desired !== d.current);
      expect(changes.length).toBeGreaterThan(1);
      const turns = directionChanges(decisions);
      for (let i = 1; i < turns.length; i += 1) {
        expect((turns[i] as number) - (turns[i - 1] as number)).toBeGreaterThanOrEqual(300 * S);
      }
      // The state stays bounded: a 300 s horizon at 15 s ticks.
      expect(state.recommendations.length).toBeLessThanOrEqual(20);
      expect(state.changes.length).toBeLessThanOrEqual(21);
    });
  }

  it('owes the guarantee to the reversal hold as well as the window under that load', () => {
    const next = random(3);
    const { decisions } = run(config(), { from: 0, until: 6 * 3600, step: 15, start: 1 }, () =>
      Math.round(40 * (0.5 + next())),
    );
    expect(decisions.some((d) => d.reason.includes('turned down'))).toBe(true);
  });

  it('changes direction at most once per 5 minutes when the load follows the fleet', () => {
    // Active jobs grow with the workers: the feedback that makes a naive policy hunt.
    const next = random(7);
    const { decisions } = run(config(), { from: 0, until: 4 * 3600, step: 15, start: 4 }, (_t, workers) =>
      Math.round(20 + workers * 0.8 + next() * 20),
    );
    const turns = directionChanges(decisions);
    for (let i = 1; i < turns.length; i += 1) {
      expect((turns[i] as number) - (turns[i - 1] as number)).toBeGreaterThanOrEqual(300 * S);
    }
  });
});
