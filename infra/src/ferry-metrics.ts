import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { FERRY_QUEUE } from './service-environment.ts';

/**
 * Ferry's own metrics, which the services publish to CloudWatch as EMF log lines
 * (METRICS_EMF_INTERVAL_S) under this namespace with one dimension, `Queue` = the BullMQ queue name
 * (FERRY_QUEUE). The autoscaler publishes the queue's figures as its last tick read them (Maximum):
 *
 * - `OldestWaitingJobAgeSeconds`: age of the oldest job no worker has taken yet.
 * - `WaitingJobs`, `ActiveJobs`: jobs queued, and imports running. `DesiredWorkers`: its decision.
 *
 * Each worker publishes what it did since its last line (Sum across the fleet):
 *
 * - `ImportsCompleted`, `ImportsFailed`, `ImportsCanceled`: imports that finished, each way.
 * - `BytesTransferred`: bytes moved into the destination buckets. `PartRetries`, `CheckpointWrites`.
 * - `RateLimitPauses`, `RateLimitWaitSeconds`: fleet-wide provider pauses set, and time waited out.
 * - `MemoryBudgetWaits`, `MemoryBudgetWaitSeconds`: parts that waited for WORKER_MEMORY_BUDGET_MIB.
 * - `ActiveImports`: imports running in the worker at the time of the line.
 */
export const FERRY_NAMESPACE = 'Ferry';

export const FerryMetricName = {
  oldestWaitingJobAge: 'OldestWaitingJobAgeSeconds',
  waitingJobs: 'WaitingJobs',
  activeJobs: 'ActiveJobs',
  desiredWorkers: 'DesiredWorkers',
  importsCompleted: 'ImportsCompleted',
  importsFailed: 'ImportsFailed',
  importsCanceled: 'ImportsCanceled',
  bytesTransferred: 'BytesTransferred',
  partRetries: 'PartRetries',
  checkpointWrites: 'CheckpointWrites',
  rateLimitPauses: 'RateLimitPauses',
  rateLimitWaitSeconds: 'RateLimitWaitSeconds',
  memoryBudgetWaits: 'MemoryBudgetWaits',
  memoryBudgetWaitSeconds: 'MemoryBudgetWaitSeconds',
  activeImports: 'ActiveImports',
} as const;

/** How often the services write their EMF lines: CloudWatch's standard resolution. */
export const METRICS_EMF_INTERVAL_S = 60;

export function ferryMetric(
  metricName: (typeof FerryMetricName)[keyof typeof FerryMetricName],
  statistic: 'Maximum' | 'Sum',
  period: Duration = Duration.minutes(1),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: FERRY_NAMESPACE,
    metricName,
    dimensionsMap: { Queue: FERRY_QUEUE },
    statistic,
    period,
  });
}

/** Share of finished imports that failed, percent; 0 while none finish. */
export function failedImportRate(period: Duration): cloudwatch.MathExpression {
  const failed = 'FILL(failed, 0)';
  const finished = `(${failed} + FILL(completed, 0))`;
  return new cloudwatch.MathExpression({
    label: 'Failed imports (%)',
    expression: `IF(${finished} > 0, 100 * ${failed} / ${finished}, 0)`,
    usingMetrics: {
      failed: ferryMetric(FerryMetricName.importsFailed, 'Sum', period),
      completed: ferryMetric(FerryMetricName.importsCompleted, 'Sum', period),
    },
    period,
  });
}

/** The highest value of one ElastiCache metric across the replication group's nodes. */
export function redisNodesMax(
  metricName: string,
  nodeIds: string[],
  label: string,
  period: Duration = Duration.minutes(5),
): cloudwatch.MathExpression {
  // Ids unique per metric: one graph may show several of these expressions.
  const idPrefix = metricName.toLowerCase();
  const usingMetrics = Object.fromEntries(
    nodeIds.map((nodeId, index) => [
      `${idPrefix}${index}`,
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: nodeId },
        statistic: 'Maximum',
        period,
      }),
    ]),
  );
  return new cloudwatch.MathExpression({
    label,
    expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`,
    usingMetrics,
    period,
  });
}

/** Tasks running in a service (Container Insights). */
export function runningTasks(service: ecs.BaseService, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName: 'RunningTaskCount',
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
    statistic: 'Average',
    period: Duration.minutes(1),
    label,
  });
}
