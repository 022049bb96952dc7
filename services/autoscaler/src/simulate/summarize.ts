import type { SimulationPoint } from './simulate.ts';

export interface SimulationSummary {
  peakBacklog: number;
  peakBacklogAtS: number;
  /** The most workers running or starting at once. */
  peakWorkers: number;
  peakWorkersAtS: number;
  /** From the first arrival until the backlog is empty after the last one; null if it never is. */
  timeToDrainS: number | null;
  workerSeconds: number;
  /** When (seconds from the start) the desired count turned from growing to shrinking or back. */
  directionChangesAtS: number[];
  durationS: number;
}

export function summarize(series: readonly SimulationPoint[]): SimulationSummary {
  let peakBacklog = 0;
  let peakBacklogAtS = 0;
  let peakWorkers = 0;
  let peakWorkersAtS = 0;
  const directionChangesAtS: number[] = [];
  let lastDirection = 0;
  let previousDesired: number | undefined;
  for (const point of series) {
    if (point.backlog > peakBacklog) [peakBacklog, peakBacklogAtS] = [point.backlog, point.t];
    const workers = point.currentWorkers + point.pendingWorkers;
    if (workers > peakWorkers) [peakWorkers, peakWorkersAtS] = [workers, point.t];
    const direction = previousDesired === undefined ? 0 : Math.sign(point.desired - previousDesired);
    if (direction !== 0) {
      if (lastDirection !== 0 && direction !== lastDirection) directionChangesAtS.push(point.t);
      lastDirection = direction;
    }
    previousDesired = point.desired;
  }
  const firstArrival = series.find((p) => p.arrivals > 0);
  const lastArrivalIndex = series.findLastIndex((p) => p.arrivals > 0);
  const drained = series.slice(lastArrivalIndex).find((p) => p.backlog === 0);
  const last = series.at(-1);
  return {
    peakBacklog,
    peakBacklogAtS,
    peakWorkers,
    peakWorkersAtS,
    timeToDrainS: firstArrival && drained ? drained.t - firstArrival.t : null,
    workerSeconds: last?.workerSeconds ?? 0,
    directionChangesAtS,
    durationS: last?.t ?? 0,
  };
}
