import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalWorkerView } from '../actuators/local-actuator.ts';
import { localSignals } from './local-signals.ts';
import { readProcessStats } from './proc-stats.ts';

const GIB = 1024 ** 3;

describe('local signals (real processes, read from /proc)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  /** A process that keeps one core busy. */
  const spinner = (): ChildProcess => {
    const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    children.push(child);
    return child;
  };

  const view = (pid: number | undefined, state: LocalWorkerView['state']): LocalWorkerView => ({
    id: `w${pid}`,
    pid,
    state,
    busy: false,
    startedAt: Date.now(),
  });

  it("reads a process's CPU time and resident memory, and null once it is gone", async () => {
    const stats = await readProcessStats(process.pid);
    expect(stats?.cpuSeconds).toBeGreaterThan(0);
    expect(stats?.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(await readProcessStats(2 ** 22 + 1)).toBeNull();
  });

  it('counts ready workers as running and starting ones as pending, with their CPU and memory', async () => {
    const busy = spinner();
    const workers = [view(busy.pid, 'ready'), view(process.pid, 'starting'), view(process.pid, 'stopping')];
    const source = localSignals({ pool: { workers: () => workers }, maxWorkers: 4, memoryBytes: 4 * GIB });
    const first = await source.read(Date.now());
    // CPU needs two readings; memory is there at once: RSS against a quarter of 4 GiB.
    expect(first).toMatchObject({ currentWorkers: 1, pendingWorkers: 1, cpuUtilization: undefined });
    expect(first.memoryUtilization).toBeGreaterThan(0);
    expect(first.memoryUtilization).toBeLessThan(20);

    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = await source.read(Date.now());
    // A spinning process uses up to a core (less on a loaded machine, never more than 100).
    expect(second.cpuUtilization).toBeGreaterThan(0);
    expect(second.cpuUtilization).toBeLessThanOrEqual(100);
    await source.close();
  });

  it('reports no utilisation with no ready worker, and skips one that has exited', async () => {
    const source = localSignals({
      pool: { workers: () => [view(2 ** 22 + 1, 'ready')] },
      maxWorkers: 2,
    });
    expect(await source.read(Date.now())).toEqual({
      currentWorkers: 1,
      pendingWorkers: 0,
      cpuUtilization: undefined,
      memoryUtilization: undefined,
    });
  });
});
