import { describe, expect, it } from 'vitest';
import { readSignals, SignalReadError } from './read-signals.ts';
import type { SignalReading, SignalSource } from './signal-source.ts';

const source = (name: string, reading: SignalReading | Error): SignalSource => ({
  name,
  read: async () => {
    if (reading instanceof Error) throw reading;
    return reading;
  },
  close: async () => {},
});

const depth = (queue: string, waiting: number) => ({
  queue,
  waiting,
  prioritized: 0,
  active: 0,
  delayedDue: 0,
  unfed: 0,
  oldestWaitingAgeS: 0,
});

describe('readSignals', () => {
  it('combines the sources into one snapshot', async () => {
    const signals = await readSignals(
      [
        source('bullmq', { queues: [depth('a', 3), depth('b', 1)] }),
        source('sqs', { sqs: { visible: 5, notVisible: 1 } }),
        source('ecs', {
          currentWorkers: 4,
          pendingWorkers: 1,
          cpuUtilization: 50,
          memoryUtilization: undefined,
        }),
      ],
      { now: 1000, workerConcurrency: 2, fallbackWorkers: async () => 99 },
    );
    expect(signals).toEqual({
      at: 1000,
      queues: [depth('a', 3), depth('b', 1)],
      sqs: { visible: 5, notVisible: 1 },
      workerConcurrency: 2,
      currentWorkers: 4,
      pendingWorkers: 1,
      cpuUtilization: 50,
    });
  });

  it("takes the actuator's count when no source reports workers (a dry run observing nothing)", async () => {
    const signals = await readSignals([source('bullmq', { queues: [] })], {
      now: 1,
      workerConcurrency: 4,
      fallbackWorkers: async () => 3,
    });
    expect(signals).toMatchObject({ currentWorkers: 3, pendingWorkers: 0 });
  });

  it('fails naming the source that could not be read', async () => {
    const failing = readSignals([source('bullmq', { queues: [] }), source('sqs', new Error('timeout'))], {
      now: 1,
      workerConcurrency: 4,
      fallbackWorkers: async () => 0,
    });
    await expect(failing).rejects.toBeInstanceOf(SignalReadError);
    await expect(failing).rejects.toMatchObject({
      code: 'SIGNALS_UNAVAILABLE',
      source: 'sqs',
      message: 'cannot read the sqs signals: timeout',
    });
  });
});
