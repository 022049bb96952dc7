import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@ferry/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalActuator, type LocalActuatorOptions, startLocalActuator } from './local-actuator.ts';

const FAKE_WORKER = fileURLToPath(new URL('../testing/fake-worker.ts', import.meta.url));

describe('local actuator (real processes, real protection endpoint)', () => {
  const started: LocalActuator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((actuator) => actuator.close()));
  });

  const pool = async (env: Record<string, string> = {}, options: Partial<LocalActuatorOptions> = {}) => {
    const output = new PassThrough();
    let text = '';
    output.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    const actuator = await startLocalActuator({
      env: { PATH: process.env.PATH, ...env },
      workerConcurrency: 3,
      logger: createLogger('autoscaler', 'silent'),
      logLevel: 'info',
      output,
      command: { file: process.execPath, args: [FAKE_WORKER] },
      ...options,
    });
    started.push(actuator);
    return { actuator, output: () => text };
  };

  const states = (actuator: LocalActuator) => actuator.workers().map((w) => w.state);

  it('starts workers up to the desired count, counting them as starting until they log readiness', async () => {
    const { actuator, output } = await pool({ FAKE_READY_MS: '300' });
    await actuator.apply(3);
    expect(await actuator.current()).toBe(3);
    expect(states(actuator)).toEqual(['starting', 'starting', 'starting']);
    await expect.poll(() => states(actuator)).toEqual(['ready', 'ready', 'ready']);
    await actuator.apply(3); // idempotent
    expect(actuator.workers()).toHaveLength(3);
    // Their log lines at the autoscaler's level or above are passed on; debug ones are not.
    expect(output()).toContain('"worker ready"');
    expect(output()).not.toContain('fake debug line');
  });

  it('gives each worker its own agent endpoint and the fleet concurrency', async () => {
    const { actuator, output } = await pool();
    await actuator.apply(1);
    await expect.poll(() => states(actuator)).toEqual(['ready']);
    const [worker] = actuator.workers();
    process.kill(worker?.pid ?? 0, 'SIGUSR2');
    await expect.poll(() => actuator.workers()[0]?.busy).toBe(true);
    // The endpoint hears the PUT before the worker has logged the answer.
    await expect.poll(() => output()).toContain('task protection set');
    const line = output()
      .split('\n')
      .find((l) => l.includes('task protection set'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      enabled: true,
      status: 200,
      answer: { protection: { ProtectionEnabled: true, TaskArn: `local:worker/${worker?.id}` } },
    });
  });

  it('scales in idle workers only, and stops a busy one only once it is idle', async () => {
    const { actuator } = await pool();
    await actuator.apply(3);
    await expect.poll(() => states(actuator)).toEqual(['ready', 'ready', 'ready']);
    const [oldest, middle, newest] = actuator.workers();
    // The oldest and the newest hold imports.
    process.kill(oldest?.pid ?? 0, 'SIGUSR2');
    process.kill(newest?.pid ?? 0, 'SIGUSR2');
    await expect.poll(() => actuator.workers().filter((w) => w.busy).length).toBe(2);

    await actuator.apply(1);
    expect(await actuator.current()).toBe(2); // only the idle one could go
    await expect.poll(() => actuator.workers().map((w) => w.id)).toEqual([oldest?.id, newest?.id]);
    expect(middle).toBeDefined();

    process.kill(newest?.pid ?? 0, 'SIGUSR1'); // its imports are done
    await expect.poll(() => actuator.workers().find((w) => w.id === newest?.id)?.busy).toBe(false);
    await actuator.apply(1);
    await expect.poll(() => actuator.workers().map((w) => w.id)).toEqual([oldest?.id]);
  });

  it('stops workers not yet ready before idle ready ones', async () => {
    const { actuator } = await pool();
    await actuator.apply(1);
    await expect.poll(() => states(actuator)).toEqual(['ready']);
    const [first] = actuator.workers();
    await actuator.apply(2);
    await actuator.apply(1); // the second is still starting: it goes, the ready one stays
    await expect.poll(() => actuator.workers().map((w) => w.id)).toEqual([first?.id]);
  });

  it('waits for a stopped worker to drain; close() stops them all and waits for every drain', async () => {
    const { actuator } = await pool({ FAKE_DRAIN_MS: '400' });
    await actuator.apply(2);
    await expect.poll(() => states(actuator)).toEqual(['ready', 'ready']);
    await actuator.apply(1);
    expect(states(actuator)).toEqual(['ready', 'stopping']);
    expect(await actuator.current()).toBe(1);
    const started = Date.now();
    await actuator.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(actuator.workers()).toEqual([]);
    await actuator.apply(3); // closed: does nothing
    expect(actuator.workers()).toEqual([]);
  });

  it('kills a worker that does not finish draining in time', async () => {
    const { actuator } = await pool({ FAKE_DRAIN_MS: '60000' }, { stopTimeoutMs: 200 });
    await actuator.apply(1);
    await expect.poll(() => states(actuator)).toEqual(['ready']);
    await actuator.close();
    expect(actuator.workers()).toEqual([]);
  });

  it('replaces a worker that dies unasked, backing off while workers die before they are ready', async () => {
    let clock = 1_000_000;
    const { actuator, output } = await pool({ FAKE_CRASH: '1' }, { now: () => clock });
    await actuator.apply(1);
    await expect.poll(() => output()).toContain('fake crash');
    await expect.poll(() => actuator.workers().length).toBe(0);
    await actuator.apply(1); // within a second of the failed start: not yet
    expect(actuator.workers()).toHaveLength(0);
    clock += 1000;
    await actuator.apply(1);
    expect(actuator.workers()).toHaveLength(1);
    await expect.poll(() => actuator.workers().length).toBe(0);
    clock += 1000; // the second failure doubles the wait
    await actuator.apply(1);
    expect(actuator.workers()).toHaveLength(0);
    clock += 1000;
    await actuator.apply(1);
    expect(actuator.workers()).toHaveLength(1);
  });
});
