import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { createLogger } from '@ferry/shared';
import { logCapture } from '@ferry/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ecsSignals } from './ecs-signals.ts';

const SERVICE = {
  serviceName: 'ferry-workers',
  status: 'ACTIVE',
  desiredCount: 6,
  runningCount: 4,
  pendingCount: 2,
};

function captureLogger() {
  const { stream, lines } = logCapture();
  return { logger: createLogger('autoscaler', 'info', stream), lines };
}

// The happy path runs against the ECS/CloudWatch stand-in (ecs-signals.stand-in.test.ts); these are
// answers it does not give: Container Insights datapoints, CloudWatch failing, a deleted service.
describe('ECS signals (SDK boundary faked with aws-sdk-client-mock)', () => {
  const ecs = mockClient(ECSClient);
  const cloudwatch = mockClient(CloudWatchClient);
  afterEach(() => {
    ecs.reset();
    cloudwatch.reset();
  });

  const source = () => {
    const { logger, lines } = captureLogger();
    const signals = ecsSignals({
      ecs: new ECSClient({ region: 'us-east-1' }),
      cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
      cluster: 'ferry',
      service: 'ferry-workers',
      logger,
    });
    return { signals, lines };
  };

  it("falls back to Container Insights' used/reserved ratio where the service metric has no datapoint", async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [SERVICE] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'cpu', Timestamps: [], Values: [] },
        { Id: 'ciCpu', Timestamps: [new Date()], Values: [55] },
        { Id: 'ciMemory', Timestamps: [new Date()], Values: [61] },
      ],
    });
    const { signals } = source();
    expect(await signals.read(Date.now())).toMatchObject({ cpuUtilization: 55, memoryUtilization: 61 });
    const expression = cloudwatch
      .commandCalls(GetMetricDataCommand)[0]
      ?.args[0].input.MetricDataQueries?.find((q) => q.Id === 'ciCpu');
    expect(expression?.Expression).toBe('100 * ciCpuUsed / ciCpuReserved');
    await signals.close();
  });

  it('goes without utilisation while CloudWatch fails, saying so once', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [SERVICE] });
    cloudwatch.on(GetMetricDataCommand).rejects(new Error('ThrottlingException'));
    const { signals, lines } = source();
    expect(await signals.read(Date.now())).toEqual({ currentWorkers: 4, pendingWorkers: 2 });
    expect(await signals.read(Date.now())).toEqual({ currentWorkers: 4, pendingWorkers: 2 });
    expect(lines.filter((l) => l.msg === 'cannot read CloudWatch metrics; going without')).toHaveLength(1);
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await signals.read(Date.now());
    expect(lines.some((l) => l.msg === 'CloudWatch metrics readable again')).toBe(true);
    await signals.close();
  });

  it('fails when the service is missing or deleted: no worker count is worse than a skipped tick', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const { signals } = source();
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    await expect(signals.read(Date.now())).rejects.toThrow(/ferry-workers in cluster ferry: MISSING/);
    ecs.on(DescribeServicesCommand).resolves({ services: [{ ...SERVICE, status: 'INACTIVE' }] });
    await expect(signals.read(Date.now())).rejects.toThrow(/INACTIVE/);
    await signals.close();
  });
});
