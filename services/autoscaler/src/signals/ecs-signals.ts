import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Logger } from '@ferry/shared';
import { describeEcsService } from './describe-ecs-service.ts';
import type { SignalSource } from './signal-source.ts';

export interface EcsSignalsOptions {
  /** Owned: destroyed by close(). */
  ecs: ECSClient;
  /** Owned: destroyed by close(). */
  cloudwatch: CloudWatchClient;
  cluster: string;
  service: string;
  logger: Logger;
  /** How far back to look for the latest utilisation datapoint (ECS publishes one a minute). */
  metricWindowS?: number;
}

/**
 * The worker service on ECS: running and pending tasks (DescribeServices), and the service's average
 * CPU and memory utilisation from CloudWatch: the AWS/ECS service metrics, or where those have no
 * datapoint, Container Insights' used/reserved ratios. Utilisation is optional: when CloudWatch
 * fails, the snapshot goes without it (said once per outage) rather than holding up the backlog rule.
 */
export function ecsSignals(options: EcsSignalsOptions): SignalSource {
  const windowMs = (options.metricWindowS ?? 600) * 1000;
  const dimensions = [
    { Name: 'ClusterName', Value: options.cluster },
    { Name: 'ServiceName', Value: options.service },
  ];
  const stat = (id: string, namespace: string, metric: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensions },
      Period: 60,
      Stat: namespace === 'AWS/ECS' ? 'Average' : 'Sum',
    },
    ReturnData: namespace === 'AWS/ECS',
  });
  const queries: MetricDataQuery[] = [
    stat('cpu', 'AWS/ECS', 'CPUUtilization'),
    stat('memory', 'AWS/ECS', 'MemoryUtilization'),
    stat('ciCpuUsed', 'ECS/ContainerInsights', 'CpuUtilized'),
    stat('ciCpuReserved', 'ECS/ContainerInsights', 'CpuReserved'),
    stat('ciMemoryUsed', 'ECS/ContainerInsights', 'MemoryUtilized'),
    stat('ciMemoryReserved', 'ECS/ContainerInsights', 'MemoryReserved'),
    { Id: 'ciCpu', Expression: '100 * ciCpuUsed / ciCpuReserved', ReturnData: true },
    { Id: 'ciMemory', Expression: '100 * ciMemoryUsed / ciMemoryReserved', ReturnData: true },
  ];
  let metricsFailing = false;

  const counts = async () => {
    const service = await describeEcsService(options.ecs, options.cluster, options.service);
    return { currentWorkers: service.runningCount ?? 0, pendingWorkers: service.pendingCount ?? 0 };
  };

  const utilisation = async (now: number) => {
    try {
      const answer = await options.cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(now - windowMs),
          EndTime: new Date(now),
          ScanBy: 'TimestampDescending',
        }),
      );
      if (metricsFailing) options.logger.info('CloudWatch metrics readable again');
      metricsFailing = false;
      const results = answer.MetricDataResults ?? [];
      return {
        cpuUtilization: latest(results, 'cpu') ?? latest(results, 'ciCpu'),
        memoryUtilization: latest(results, 'memory') ?? latest(results, 'ciMemory'),
      };
    } catch (error) {
      if (!metricsFailing)
        options.logger.warn({ err: error }, 'cannot read CloudWatch metrics; going without');
      metricsFailing = true;
      return {};
    }
  };

  return {
    name: 'ecs',
    read: async (now) => {
      const [workers, usage] = await Promise.all([counts(), utilisation(now)]);
      return { ...workers, ...usage };
    },
    close: async () => {
      options.ecs.destroy();
      options.cloudwatch.destroy();
    },
  };
}

/** The newest datapoint of one query (answers are newest first), if it has any. */
function latest(results: MetricDataResult[], id: string): number | undefined {
  const result = results.find((r) => r.Id === id);
  const timestamps = result?.Timestamps ?? [];
  const values = result?.Values ?? [];
  let newest: { at: number; value: number } | undefined;
  for (let i = 0; i < values.length; i++) {
    const at = timestamps[i]?.getTime() ?? 0;
    const value = values[i];
    if (value !== undefined && Number.isFinite(value) && (!newest || at > newest.at)) newest = { at, value };
  }
  return newest?.value;
}
