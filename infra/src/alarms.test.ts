import { describe, expect, it } from 'vitest';
import {
  FAILED_IMPORT_RATE_PERCENT,
  OLDEST_WAITING_JOB_AGE_S,
  REDIS_CPU_PERCENT,
  REDIS_MEMORY_PERCENT,
} from './alarms.ts';
import { FERRY_NAMESPACE, FerryMetricName } from './ferry-metrics.ts';
import { FERRY_QUEUE } from './service-environment.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { logicalIdOf } from './testing/template-queries.ts';

const { stack, template } = synthFerry();
const alarmProperties = (alarm: Parameters<typeof logicalIdOf>[0]) => {
  const resource = template.findResources('AWS::CloudWatch::Alarm')[logicalIdOf(alarm)];
  if (!resource) throw new Error(`no alarm ${alarm.node.path}`);
  return resource.Properties;
};
const queueDimension = [{ Name: 'Queue', Value: FERRY_QUEUE }];
const metricsOf = (properties: { Metrics: { Id: string; MetricStat?: { Metric: unknown } }[] }) =>
  Object.fromEntries(properties.Metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat?.Metric]));
const redisNodes = stack.redis.nodeIds.map((id) => stack.resolve(id));

describe('alarms', () => {
  it('fires when a job has waited too long for a worker', () => {
    expect(alarmProperties(stack.alarms.oldestWaitingJob)).toMatchObject({
      Namespace: FERRY_NAMESPACE,
      MetricName: FerryMetricName.oldestWaitingJobAge,
      Dimensions: queueDimension,
      Statistic: 'Maximum',
      Threshold: OLDEST_WAITING_JOB_AGE_S,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('fires on any event in the dead-letter queue', () => {
    expect(alarmProperties(stack.alarms.eventsDeadLetters)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(stack.events.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('fires when too many of the imports that finished failed', () => {
    const properties = alarmProperties(stack.alarms.failedImports);
    expect(properties).toMatchObject({
      Threshold: FAILED_IMPORT_RATE_PERCENT,
      TreatMissingData: 'notBreaching',
    });
    expect(properties.Metrics[0].Expression).toBe(
      'IF((FILL(failed, 0) + FILL(completed, 0)) > 0, 100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(completed, 0)), 0)',
    );
    expect(metricsOf(properties)).toEqual({
      failed: {
        Namespace: FERRY_NAMESPACE,
        MetricName: FerryMetricName.importsFailed,
        Dimensions: queueDimension,
      },
      completed: {
        Namespace: FERRY_NAMESPACE,
        MetricName: FerryMetricName.importsCompleted,
        Dimensions: queueDimension,
      },
    });
  });

  it("fires when any Redis node's memory fills up", () => {
    const properties = alarmProperties(stack.alarms.redisMemory);
    expect(properties.Threshold).toBe(REDIS_MEMORY_PERCENT);
    expect(Object.values(metricsOf(properties))).toEqual(
      redisNodes.map((node) => ({
        Namespace: 'AWS/ElastiCache',
        MetricName: 'DatabaseMemoryUsagePercentage',
        Dimensions: [{ Name: 'CacheClusterId', Value: node }],
      })),
    );
  });

  it("fires when any Redis node's engine is busy", () => {
    const properties = alarmProperties(stack.alarms.redisCpu);
    expect(properties.Threshold).toBe(REDIS_CPU_PERCENT);
    expect(Object.values(metricsOf(properties))).toEqual(
      redisNodes.map((node) => ({
        Namespace: 'AWS/ElastiCache',
        MetricName: 'EngineCPUUtilization',
        Dimensions: [{ Name: 'CacheClusterId', Value: node }],
      })),
    );
    // The replication group's members, primary and replica: whichever is primary after a failover.
    expect(JSON.stringify(redisNodes)).toContain('-001');
    expect(JSON.stringify(redisNodes)).toContain('-002');
  });
});
