import { type AwsJsonService, AwsServiceError } from './aws-json-protocol.ts';
import {
  ECS_SERVICE_METRICS,
  type EcsServiceMetric,
  METRIC_STATS,
  type MetricStatistic,
  type ServiceUsage,
} from './service-usage.ts';

/** The usage of a service by cluster and service name, when the stand-in runs it. */
export type UsageLookup = (cluster: string, service: string) => ServiceUsage | undefined;

interface MetricStatQuery {
  namespace: string;
  metricName: string;
  dimensions: Map<string, string>;
  periodS: number;
  stat: string;
}

const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
const HIGH_RESOLUTION_PERIODS = [1, 5, 10, 30];

/**
 * CloudWatch's GetMetricData as @aws-sdk/client-cloudwatch 3.1164 calls it: awsJson1_0, target
 * GraniteServiceVersion20100801, query-compatible errors. AWS/ECS CPUUtilization and
 * MemoryUtilization with the ClusterName and ServiceName dimensions are answered from the tasks'
 * measured usage, one datapoint per period stamped with the period's start. Every other metric and
 * every expression has no datapoints, as in a cluster without Container Insights.
 */
export function cloudwatchApi(usageOf: UsageLookup): AwsJsonService {
  return {
    target: 'GraniteServiceVersion20100801',
    jsonVersion: '1.0',
    queryCompatible: {
      namespace: 'com.amazonaws.cloudwatch',
      queryCode: (type) => type.replace(/Exception$/, ''),
    },
    operations: {
      GetMetricData: (input) => {
        const start = timestamp(input, 'StartTime');
        const end = timestamp(input, 'EndTime');
        if (start >= end) invalid('The parameter StartTime must be less than the parameter EndTime.');
        const ascending = scanAscending(input.ScanBy);
        const queries = input.MetricDataQueries;
        if (!Array.isArray(queries) || queries.length === 0 || queries.length > 500) {
          invalid('The parameter MetricDataQueries must list 1 to 500 queries.');
        }
        const ids = new Set<string>();
        const results = [];
        for (const [index, raw] of (queries as unknown[]).entries()) {
          const query = (raw ?? {}) as Record<string, unknown>;
          const field = `MetricDataQueries.member.${index + 1}`;
          const id = query.Id;
          if (typeof id !== 'string' || !QUERY_ID.test(id) || ids.has(id)) {
            invalid(`The parameter ${field}.Id must be unique and start with a lowercase letter.`);
          }
          ids.add(id);
          if ((query.MetricStat === undefined) === (query.Expression === undefined)) {
            invalid(`The parameter ${field} must have exactly one of MetricStat and Expression.`);
          }
          const stat =
            query.MetricStat === undefined ? null : metricStat(query.MetricStat, `${field}.MetricStat`);
          if (query.ReturnData === false) continue;
          const points = stat ? datapoints(stat, usageOf, start, end) : { timestamps: [], values: [] };
          if (!ascending) {
            points.timestamps.reverse();
            points.values.reverse();
          }
          results.push({
            Id: id,
            Label: typeof query.Label === 'string' ? query.Label : (stat?.metricName ?? id),
            Timestamps: points.timestamps.map((ms) => ms / 1000),
            Values: points.values,
            StatusCode: 'Complete',
          });
        }
        return { MetricDataResults: results, Messages: [] };
      },
    },
  };
}

function datapoints(query: MetricStatQuery, usageOf: UsageLookup, start: number, end: number) {
  const none = { timestamps: [], values: [] };
  const names = [...query.dimensions.keys()].sort().join(',');
  if (query.namespace !== 'AWS/ECS' || names !== 'ClusterName,ServiceName') return none;
  if (!(ECS_SERVICE_METRICS as readonly string[]).includes(query.metricName)) return none;
  if (!(METRIC_STATS as readonly string[]).includes(query.stat)) {
    invalid(`The stand-in computes ${METRIC_STATS.join(', ')}; not ${query.stat}.`);
  }
  const usage = usageOf(query.dimensions.get('ClusterName') ?? '', query.dimensions.get('ServiceName') ?? '');
  if (!usage) return none;
  return usage.datapoints(
    query.metricName as EcsServiceMetric,
    query.stat as MetricStatistic,
    query.periodS * 1000,
    start,
    end,
  );
}

function metricStat(raw: unknown, field: string): MetricStatQuery {
  const stat = (raw ?? {}) as { Metric?: unknown; Period?: unknown; Stat?: unknown };
  const metric = (stat.Metric ?? {}) as { Namespace?: unknown; MetricName?: unknown; Dimensions?: unknown };
  if (typeof metric.Namespace !== 'string' || typeof metric.MetricName !== 'string') {
    invalid(`The parameter ${field}.Metric must name a Namespace and a MetricName.`);
  }
  const dimensions = new Map<string, string>();
  for (const dimension of Array.isArray(metric.Dimensions) ? metric.Dimensions : []) {
    const { Name, Value } = (dimension ?? {}) as { Name?: unknown; Value?: unknown };
    if (typeof Name !== 'string' || typeof Value !== 'string') {
      invalid(`The parameter ${field}.Metric.Dimensions must hold Name and Value strings.`);
    }
    dimensions.set(Name, Value);
  }
  const period = stat.Period;
  if (
    typeof period !== 'number' ||
    !Number.isInteger(period) ||
    period <= 0 ||
    (period % 60 !== 0 && !HIGH_RESOLUTION_PERIODS.includes(period))
  ) {
    invalid(`The parameter ${field}.Period must be 1, 5, 10, 30 or a multiple of 60.`);
  }
  if (typeof stat.Stat !== 'string' || stat.Stat === '') invalid(`The parameter ${field}.Stat is required.`);
  return {
    namespace: metric.Namespace,
    metricName: metric.MetricName,
    dimensions,
    periodS: period,
    stat: stat.Stat,
  };
}

/** awsJson timestamps are seconds since the epoch; answered in ms. */
function timestamp(input: Record<string, unknown>, field: string): number {
  const value = input[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`The parameter ${field} is required.`);
  return value * 1000;
}

function scanAscending(scanBy: unknown): boolean {
  if (scanBy === undefined || scanBy === 'TimestampDescending') return false;
  if (scanBy === 'TimestampAscending') return true;
  return invalid('The parameter ScanBy must be TimestampDescending or TimestampAscending.');
}

function invalid(message: string): never {
  throw new AwsServiceError('InvalidParameterValueException', message);
}
