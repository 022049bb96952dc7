import { readProcessUsage } from './process-usage.ts';
import type { ResolvedTaskDefinition } from './task-definition.ts';

/** The AWS/ECS service metrics the stand-in publishes. */
export const ECS_SERVICE_METRICS = ['CPUUtilization', 'MemoryUtilization'] as const;
export type EcsServiceMetric = (typeof ECS_SERVICE_METRICS)[number];
export const METRIC_STATS = ['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount'] as const;
export type MetricStatistic = (typeof METRIC_STATS)[number];

interface UsageSample {
  at: number;
  /** Percent of the running tasks' reserved CPU; null when no task had been read before (no rate yet). */
  CPUUtilization: number | null;
  MemoryUtilization: number;
}

/** ms since the epoch, oldest first, one per period that has samples. */
export interface Datapoints {
  timestamps: number[];
  values: number[];
}

const MIB = 1024 * 1024;

/**
 * A service's CPU and memory utilisation as ECS computes it for CloudWatch: CPU time the tasks used
 * over CPU time their task definition reserves (1024 units = one vCPU), and their resident memory
 * over the memory reserved, in percent; measured from each task process's /proc figures.
 */
export class ServiceUsage {
  readonly #definition: ResolvedTaskDefinition;
  readonly #retentionMs: number;
  readonly #samples: UsageSample[] = [];
  readonly #previous = new Map<number, { at: number; cpuSeconds: number }>();

  constructor(definition: ResolvedTaskDefinition, retentionMs = 3_600_000) {
    this.#definition = definition;
    this.#retentionMs = retentionMs;
  }

  /** Reads the processes of the service's running tasks now; no sample when none can be read. */
  async sample(pids: number[], at: number): Promise<void> {
    const readings = await Promise.all(
      pids.map(async (pid) => ({ pid, usage: await readProcessUsage(pid) })),
    );
    const vcpus = this.#definition.cpu / 1024;
    let cpuUsed = 0;
    let cpuReserved = 0;
    let rss = 0;
    let read = 0;
    for (const { pid, usage } of readings) {
      if (!usage) continue;
      read++;
      rss += usage.rssBytes;
      const before = this.#previous.get(pid);
      if (before && at > before.at) {
        cpuUsed += Math.max(0, usage.cpuSeconds - before.cpuSeconds);
        cpuReserved += ((at - before.at) / 1000) * vcpus;
      }
      this.#previous.set(pid, { at, cpuSeconds: usage.cpuSeconds });
    }
    for (const pid of this.#previous.keys()) if (!pids.includes(pid)) this.#previous.delete(pid);
    if (read === 0) return;
    this.#samples.push({
      at,
      CPUUtilization: cpuReserved > 0 ? (100 * cpuUsed) / cpuReserved : null,
      MemoryUtilization: (100 * rss) / (read * this.#definition.memoryMiB * MIB),
    });
    const oldest = at - this.#retentionMs;
    while ((this.#samples[0]?.at ?? oldest) < oldest) this.#samples.shift();
  }

  /** The statistic per period over [start, end), each datapoint stamped with its period's start. */
  datapoints(
    metric: EcsServiceMetric,
    stat: MetricStatistic,
    periodMs: number,
    start: number,
    end: number,
  ): Datapoints {
    const periods = new Map<number, number[]>();
    for (const sample of this.#samples) {
      const value = sample[metric];
      if (value === null || sample.at < start || sample.at >= end) continue;
      const period = Math.floor(sample.at / periodMs) * periodMs;
      const values = periods.get(period) ?? [];
      values.push(value);
      periods.set(period, values);
    }
    const timestamps = [...periods.keys()].sort((a, b) => a - b);
    return { timestamps, values: timestamps.map((period) => statistic(stat, periods.get(period) ?? [])) };
  }
}

function statistic(stat: MetricStatistic, values: number[]): number {
  const sum = values.reduce((total, value) => total + value, 0);
  switch (stat) {
    case 'Average':
      return sum / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'Sum':
      return sum;
    case 'SampleCount':
      return values.length;
  }
}
