import type { EmfMetric } from '@ferry/shared';

/**
 * What each worker publishes to CloudWatch (namespace Ferry, dimension Queue) when
 * METRICS_EMF_INTERVAL_S is set: its Prometheus series, added up over their labels. The CDK app's
 * dashboard and alarms read these names (infra/src/ferry-metrics.ts).
 */
export const WORKER_CLOUDWATCH_METRICS: readonly EmfMetric[] = [
  { name: 'BytesTransferred', unit: 'Bytes', from: 'ferry_worker_bytes_moved_total', kind: 'counter' },
  ...(['completed', 'failed', 'canceled'] as const).map(
    (outcome): EmfMetric => ({
      name: `Imports${outcome[0]?.toUpperCase()}${outcome.slice(1)}`,
      unit: 'Count',
      from: 'ferry_worker_imports_finished_total',
      kind: 'counter',
      where: { outcome: [outcome] },
    }),
  ),
  { name: 'PartRetries', unit: 'Count', from: 'ferry_worker_part_retries_total', kind: 'counter' },
  { name: 'CheckpointWrites', unit: 'Count', from: 'ferry_worker_checkpoint_writes_total', kind: 'counter' },
  {
    name: 'MemoryBudgetWaits',
    unit: 'Count',
    from: 'ferry_worker_memory_budget_waits_total',
    kind: 'counter',
  },
  {
    name: 'MemoryBudgetWaitSeconds',
    unit: 'Seconds',
    from: 'ferry_worker_memory_budget_wait_seconds_total',
    kind: 'counter',
  },
  { name: 'RateLimitPauses', unit: 'Count', from: 'ferry_worker_rate_limit_pauses_total', kind: 'counter' },
  {
    name: 'RateLimitWaitSeconds',
    unit: 'Seconds',
    from: 'ferry_worker_rate_limit_wait_seconds_sum',
    kind: 'counter',
  },
  { name: 'ActiveImports', unit: 'Count', from: 'ferry_worker_active_imports', kind: 'gauge' },
];
