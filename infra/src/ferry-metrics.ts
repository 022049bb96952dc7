import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { FERRY_QUEUE } from './service-environment.ts';

/**
 * Ferry's own metrics, which the services publish to CloudWatch under this namespace with one
 * dimension, `Queue` = the BullMQ queue name (FERRY_QUEUE):
 *
 * - `OldestWaitingJobAgeSeconds` (seconds, Maximum): age of the oldest job no worker has taken yet.
 * - `WaitingJobs`, `ActiveJobs` (count, Maximum): jobs queued, and imports running.
 * - `ImportsCompleted`, `ImportsFailed` (count, Sum): imports that finished, each way.
 * - `BytesTransferred` (bytes, Sum): bytes written to the destination buckets.
 */
export const FERRY_NAMESPACE = 'Ferry';

export const FerryMetricName = {
  oldestWaitingJobAge: 'OldestWaitingJobAgeSeconds',
  waitingJobs: 'WaitingJobs',
  activeJobs: 'ActiveJobs',
  importsCompleted: 'ImportsCompleted',
  importsFailed: 'ImportsFailed',
  bytesTransferred: 'BytesTransferred',
} as const;

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
