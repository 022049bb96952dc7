import { autoscalerCloudWatchMetrics } from '@ferry/autoscaler';
import { WORKER_CLOUDWATCH_METRICS } from '@ferry/worker';
import { describe, expect, it } from 'vitest';
import { FerryMetricName } from './ferry-metrics.ts';
import { FERRY_QUEUE } from './service-environment.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, environmentOf } from './testing/template-queries.ts';

const { template } = synthFerry();

describe("Ferry's CloudWatch metrics", () => {
  it('are each published by the workers or the autoscaler, under the names the dashboard and alarms read', () => {
    const published = [...WORKER_CLOUDWATCH_METRICS, ...autoscalerCloudWatchMetrics(FERRY_QUEUE)].map(
      (metric) => metric.name,
    );
    expect(published.toSorted()).toEqual(Object.values(FerryMetricName).toSorted());
  });

  it.for(['worker', 'autoscaler'])('are published by the %s container once a minute', (name) => {
    expect(environmentOf(containerNamed(template, name))).toMatchObject({ METRICS_EMF_INTERVAL_S: '60' });
  });
});
