import { totalmem } from 'node:os';
import type { LocalActuator } from '../actuators/local-actuator.ts';
import { readProcessStats } from './proc-stats.ts';
import type { SignalSource } from './signal-source.ts';

export interface LocalSignalsOptions {
  pool: Pick<LocalActuator, 'workers'>;
  /** The machine's memory is shared out among this many workers for the memory utilisation. */
  maxWorkers: number;
  /** Bytes of memory on this machine. */
  memoryBytes?: number;
}

/**
 * The local pool as ECS would report it: ready workers are running, starting ones pending. CPU
 * utilisation is each ready worker's share of one core since the previous reading; memory
 * utilisation its resident memory against an even share of the machine among MAX_WORKERS (there is
 * no task reservation to compare with). Both are averaged over the ready workers and capped at 100.
 */
export function localSignals(options: LocalSignalsOptions): SignalSource {
  const memoryShare = (options.memoryBytes ?? totalmem()) / options.maxWorkers;
  let previous = new Map<number, { cpuSeconds: number; at: number }>();

  return {
    name: 'local',
    read: async (now) => {
      const workers = options.pool.workers();
      const ready = workers.filter((worker) => worker.state === 'ready' && worker.pid !== undefined);
      const stats = await Promise.all(ready.map((worker) => readProcessStats(worker.pid ?? 0)));
      const seen = new Map<number, { cpuSeconds: number; at: number }>();
      const cpu: number[] = [];
      const memory: number[] = [];
      ready.forEach((worker, i) => {
        const sample = stats[i];
        if (!sample || worker.pid === undefined) return;
        seen.set(worker.pid, { cpuSeconds: sample.cpuSeconds, at: now });
        memory.push((100 * sample.rssBytes) / memoryShare);
        const before = previous.get(worker.pid);
        if (before && now > before.at) {
          cpu.push((100 * (sample.cpuSeconds - before.cpuSeconds)) / ((now - before.at) / 1000));
        }
      });
      previous = seen;
      return {
        currentWorkers: ready.length,
        pendingWorkers: workers.filter((worker) => worker.state === 'starting').length,
        cpuUtilization: average(cpu),
        memoryUtilization: average(memory),
      };
    },
    close: async () => {},
  };
}

function average(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return Math.min(100, values.reduce((sum, value) => sum + value, 0) / values.length);
}
