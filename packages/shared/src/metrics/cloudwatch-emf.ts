import type { Registry } from 'prom-client';

/** CloudWatch's namespace for Ferry's own metrics; the infra's dashboard and alarms read it. */
export const FERRY_CLOUDWATCH_NAMESPACE = 'Ferry';

/**
 * One CloudWatch metric read off a Prometheus registry. Counters publish what they grew by since the
 * last flush (CloudWatch sums those per period); gauges publish their value now.
 */
export interface EmfMetric {
  /** CloudWatch's name, e.g. `BytesTransferred`. */
  name: string;
  unit: 'Count' | 'Bytes' | 'Seconds';
  /** The Prometheus series it is read from; the samples of every label set are added up. */
  from: string;
  kind: 'counter' | 'gauge';
  /** Only samples whose labels have one of these values (e.g. `{ outcome: ['completed'] }`). */
  where?: Record<string, readonly string[]>;
}

/** What `Registry.getMetricsAsJSON` answers. */
type Snapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Sample = Snapshot[number]['values'][number];

/** Each metric's total across its matching samples, by metric name; absent series count as 0. */
export function totalsOf(snapshot: Snapshot, metrics: readonly EmfMetric[]): Map<string, number> {
  const samplesByName = new Map<string, Sample[]>();
  for (const family of snapshot) {
    for (const value of family.values) {
      // Histogram samples carry their own names (`_sum`, `_count`, `_bucket`).
      const name = (value as { metricName?: string }).metricName ?? family.name;
      const samples = samplesByName.get(name) ?? [];
      samples.push(value);
      samplesByName.set(name, samples);
    }
  }
  const totals = new Map<string, number>();
  for (const metric of metrics) {
    let total = 0;
    for (const sample of samplesByName.get(metric.from) ?? []) {
      if (matches(sample.labels, metric.where)) total += sample.value;
    }
    totals.set(metric.name, total);
  }
  return totals;
}

function matches(
  labels: Partial<Record<string, string | number>>,
  where: Record<string, readonly string[]> | undefined,
): boolean {
  if (!where) return true;
  return Object.entries(where).every(([label, allowed]) => allowed.includes(String(labels[label] ?? '')));
}

/**
 * One Embedded Metric Format document: a JSON log line that CloudWatch Logs turns into metrics of
 * `namespace` with the given dimensions, without an agent or a PutMetricData call.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function emfDocument(
  namespace: string,
  dimensions: Record<string, string>,
  metrics: readonly EmfMetric[],
  values: ReadonlyMap<string, number>,
  timestampMs: number,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map((metric) => ({ Name: metric.name, Unit: metric.unit })),
        },
      ],
    },
    ...dimensions,
    ...Object.fromEntries(metrics.map((metric) => [metric.name, values.get(metric.name) ?? 0])),
  };
}
