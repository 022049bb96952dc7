import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@ferry/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { Actuator } from '../actuators/actuator.ts';
import { dryRunActuator } from '../actuators/dry-run-actuator.ts';
import { decide } from '../policy/decide.ts';
import { defaultPolicyConfig } from '../policy/policy-config.ts';
import { initialPolicyState } from '../policy/policy-state.ts';
import type { Decision, PolicyConfig, Signals } from '../policy/types.ts';
import { type ControlLoop, type ControlLoopOptions, type Decide, startControlLoop } from './control-loop.ts';

const logger = createLogger('autoscaler', 'silent');

/** Signals with `backlog` jobs waiting on one queue and `workers` running. */
const snapshot = (at: number, backlog: number, workers: number): Signals => ({
  at,
  queues: [
    {
      queue: 'q',
      waiting: backlog,
      prioritized: 0,
      active: 0,
      delayedDue: 0,
      unfed: 0,
      oldestWaitingAgeS: 0,
    },
  ],
  workerConcurrency: 1,
  currentWorkers: workers,
  pendingWorkers: 0,
});

/** A policy that wants one worker per waiting job, remembering nothing. */
const onePerJob: Decide = (signals, state) => {
  const desired = signals.queues[0]?.waiting ?? 0;
  const decision: Decision = {
    at: signals.at,
    current: signals.currentWorkers,
    desired,
    recommendations: [],
    reason: `${desired} jobs`,
  };
  return { decision, state };
};

/** An actuator that records what it is asked, and can be made slow or failing. */
class RecordingActuator implements Actuator {
  readonly mode = 'dry-run' as const;
  applied: number[] = [];
  count = 0;
  delayMs = 0;
  failWith: Error | null = null;
  concurrent = 0;
  maxConcurrent = 0;

  async current(): Promise<number> {
    return this.count;
  }

  async apply(desired: number): Promise<void> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      if (this.failWith) throw this.failWith;
      this.applied.push(desired);
      this.count = desired;
    } finally {
      this.concurrent--;
    }
  }

  async close(): Promise<void> {}
}

describe('control loop (fake signals and actuator at the interface)', () => {
  const loops: ControlLoop[] = [];
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((loop) => loop.close()));
  });

  const start = (options: Partial<ControlLoopOptions> & Pick<ControlLoopOptions, 'actuator'>) => {
    const loop = startControlLoop({
      intervalMs: 20,
      readSignals: async (at) => snapshot(at, 3, 0),
      decide: onePerJob,
      config: defaultPolicyConfig(),
      initialState: initialPolicyState(),
      logger,
      ...options,
    });
    loops.push(loop);
    return loop;
  };

  it('reads, decides and applies every interval, keeping the recent decisions', async () => {
    let backlog = 2;
    const actuator = new RecordingActuator();
    const ticks: number[] = [];
    const loop = start({
      actuator,
      readSignals: async (at) => snapshot(at, backlog, actuator.count),
      onTick: (record) => {
        ticks.push(record.decision?.desired ?? -1);
      },
      historySize: 3,
    });
    await expect.poll(() => actuator.applied.length).toBeGreaterThanOrEqual(2);
    backlog = 5;
    await expect.poll(() => actuator.count).toBe(5);
    await expect.poll(() => loop.history().length).toBe(3);
    expect(loop.history()[0]).toMatchObject({ desired: 5, reason: '5 jobs' });
    expect(loop.latest()).toMatchObject({ applied: true, error: null, decision: { desired: 5 } });
    expect(ticks.slice(0, 2)).toEqual([2, 2]);
    expect(loop.ticks).toBe(ticks.length);
  });

  it('never overlaps ticks: a slow apply delays the next tick', async () => {
    const actuator = new RecordingActuator();
    actuator.delayMs = 60; // three intervals
    start({ actuator });
    await expect.poll(() => actuator.applied.length).toBeGreaterThanOrEqual(3);
    expect(actuator.maxConcurrent).toBe(1);
  });

  it('starts ticks at least one interval apart by its clock, even when timers fire early by it', async () => {
    // A clock running at half speed: every timer fires "early" by it, as timers on a busy event
    // loop can by the wall clock.
    const origin = Date.now();
    const slowClock = () => origin + (Date.now() - origin) / 2;
    const startedAt: number[] = [];
    start({
      actuator: new RecordingActuator(),
      now: slowClock,
      onTick: (record) => {
        startedAt.push(record.at);
      },
    });
    await expect.poll(() => startedAt.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    const gaps = startedAt.slice(1).map((at, n) => at - (startedAt[n] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(20);
  });

  it('decides nothing when the signals cannot be read, and goes on ticking', async () => {
    let failing = true;
    const actuator = new RecordingActuator();
    const loop = start({
      actuator,
      readSignals: async (at) => {
        if (failing) throw Object.assign(new Error('redis down'), { code: 'SIGNALS_UNAVAILABLE' });
        return snapshot(at, 4, actuator.count);
      },
    });
    await expect.poll(() => loop.ticks).toBeGreaterThanOrEqual(2);
    expect(loop.latest()).toMatchObject({
      signals: null,
      decision: null,
      applied: false,
      error: { code: 'SIGNALS_UNAVAILABLE', message: 'redis down' },
    });
    expect(actuator.applied).toEqual([]);
    failing = false;
    await expect.poll(() => actuator.count).toBe(4);
  });

  it('records a failed apply and applies again on the next tick', async () => {
    const actuator = new RecordingActuator();
    actuator.failWith = new Error('AccessDeniedException');
    const loop = start({ actuator });
    await expect.poll(() => loop.latest()?.error?.code).toBe('APPLY_FAILED');
    expect(loop.latest()?.decision?.desired).toBe(3);
    actuator.failWith = null;
    await expect.poll(() => actuator.applied).toContain(3);
  });

  it('records a policy that throws as POLICY_FAILED', async () => {
    const actuator = new RecordingActuator();
    const loop = start({
      actuator,
      decide: () => {
        throw new Error('bad arithmetic');
      },
    });
    await expect
      .poll(() => loop.latest()?.error)
      .toEqual({ code: 'POLICY_FAILED', message: 'bad arithmetic' });
  });

  it('close() waits for the tick in progress and stops ticking', async () => {
    const actuator = new RecordingActuator();
    actuator.delayMs = 100;
    const loop = start({ actuator });
    await sleep(20);
    await loop.close();
    expect(actuator.applied).toEqual([3]);
    const ticks = loop.ticks;
    await sleep(80);
    expect(loop.ticks).toBe(ticks);
  });

  it("carries the policy's state from tick to tick (the real policy, a dry run)", async () => {
    const config: PolicyConfig = {
      ...defaultPolicyConfig(),
      minWorkers: 1,
      maxWorkers: 8,
      scaleDownStabilizationS: 60,
    };
    let backlog = 40;
    const actuator = dryRunActuator({ initial: 1, logger });
    const loop = start({
      actuator,
      decide,
      config,
      readSignals: async (at) => ({
        ...snapshot(at, backlog, await actuator.current()),
        workerConcurrency: 2,
      }),
    });
    await expect.poll(() => loop.history()[0]?.desired).toBe(5); // +4 per period from 1
    backlog = 0;
    // The down window remembers the higher recommendation: no scale-in for a minute.
    await expect.poll(() => loop.ticks).toBeGreaterThanOrEqual(loop.ticks + 3);
    expect(await actuator.current()).toBeGreaterThanOrEqual(5);
  });
});
