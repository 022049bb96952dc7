import type { EmfMetric } from '@ferry/shared';

/**
 * What the autoscaler publishes to CloudWatch (namespace Ferry, dimension Queue) when
 * METRICS_EMF_INTERVAL_S is set: the queue as its last tick read it. One autoscaler runs per queue,
 * so these are the queue's own figures, not one process's share of them.
 */
export function autoscalerCloudWatchMetrics(queue: string): EmfMetric[] {
  const onQueue = (states: string[]) => ({ queue: [queue], state: states });
  return [
    {
      name: 'WaitingJobs',
      unit: 'Count',
      from: 'ferry_autoscaler_queue_jobs',
      kind: 'gauge',
      where: onQueue(['waiting', 'prioritized', 'delayedDue', 'unfed']),
    },
    {
      name: 'ActiveJobs',
      unit: 'Count',
      from: 'ferry_autoscaler_queue_jobs',
      kind: 'gauge',
      where: onQueue(['active']),
    },
    {
      name: 'OldestWaitingJobAgeSeconds',
      unit: 'Seconds',
      from: 'ferry_autoscaler_queue_oldest_waiting_seconds',
      kind: 'gauge',
      where: { queue: [queue] },
    },
    {
      name: 'DesiredWorkers',
      unit: 'Count',
      from: 'ferry_autoscaler_workers',
      kind: 'gauge',
      where: { kind: ['desired'] },
    },
  ];
}
