import { CloudWatchClient, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createLogger } from '@ferry/shared';
import { type EcsStandIn, startEcsStandIn } from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { busyTask } from '../testing/busy-task.ts';
import { pointSdkAtStandIn } from '../testing/point-sdk-at-stand-in.ts';
import { ecsSignals } from './ecs-signals.ts';

describe('ECS signals against the ECS/CloudWatch stand-in (real SDK clients, real HTTP)', () => {
  let standIn: EcsStandIn;
  beforeEach(async () => {
    standIn = await startEcsStandIn({ tickMs: 100 });
    pointSdkAtStandIn(standIn);
  });
  afterEach(async () => {
    await standIn.close();
    vi.unstubAllEnvs();
  });

  it("reads running tasks and the service's CPU and memory utilisation, measured from the tasks' processes", async () => {
    const service = standIn.createService({
      cluster: 'ferry',
      name: 'ferry-workers',
      desiredCount: 2,
      // Busy half of the time: CPUUtilization is a measured share of the reserved vCPU, above 0.
      taskDefinition: busyTask(50),
    });
    await expect.poll(() => service.counts().running, { timeout: 15_000 }).toBe(2);
    // Keeps what the real client sends; the stand-in answers.
    const cloudwatch = new CloudWatchClient({});
    const queries: GetMetricDataCommandInput[] = [];
    cloudwatch.middlewareStack.add(
      (next) => (args) => {
        queries.push(args.input as GetMetricDataCommandInput);
        return next(args);
      },
      { step: 'initialize' },
    );
    const signals = ecsSignals({
      ecs: new ECSClient({}),
      cloudwatch,
      cluster: 'ferry',
      service: 'ferry-workers',
      logger: createLogger('autoscaler', 'silent'),
    });
    // The stand-in's datapoints come from /proc samples, taken every tick: the first needs two.
    await expect
      .poll(async () => (await signals.read(Date.now())).cpuUtilization ?? 0, { timeout: 15_000 })
      .toBeGreaterThan(0);
    const now = Date.now();
    const read = await signals.read(now);
    expect(read).toMatchObject({ currentWorkers: 2, pendingWorkers: 0 });
    // The last 10 minutes of the service's own AWS/ECS metrics.
    const query = queries.at(-1);
    expect(query?.EndTime).toEqual(new Date(now));
    expect(query?.StartTime).toEqual(new Date(now - 600_000));
    expect(query?.MetricDataQueries?.find((q) => q.Id === 'cpu')?.MetricStat?.Metric).toEqual({
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Dimensions: [
        { Name: 'ClusterName', Value: 'ferry' },
        { Name: 'ServiceName', Value: 'ferry-workers' },
      ],
    });
    expect(read.cpuUtilization).toBeLessThanOrEqual(100);
    // A node process's resident set against 512 MiB reserved: some, far from all.
    expect(read.memoryUtilization).toBeGreaterThan(0);
    expect(read.memoryUtilization).toBeLessThan(100);
    await signals.close();
  });
});
