import {
  GetMetricDataCommand,
  InvalidParameterValueException,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListTasksCommand,
  ServiceNotFoundException,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeTask, startTestStandIn, type TestStandIn } from './testing/test-stand-in.ts';

describe('ECS and CloudWatch stand-in: the APIs, as the real AWS SDK clients call them', () => {
  let box: TestStandIn;
  beforeEach(async () => {
    box = await startTestStandIn();
  });
  afterEach(() => box.close());

  const describeService = async (service: string, cluster = 'ferry') =>
    (await box.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];

  it('DescribeServices and UpdateService: desiredCount starts real task processes, ListTasks and DescribeTasks show them', async () => {
    box.standIn.createService({ cluster: 'ferry', name: 'workers', taskDefinition: fakeTask() });
    expect(await describeService('workers')).toMatchObject({
      serviceName: 'workers',
      serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/ferry/workers',
      status: 'ACTIVE',
      desiredCount: 0,
      runningCount: 0,
      pendingCount: 0,
    });
    const missing = await box.ecs.send(new DescribeServicesCommand({ cluster: 'ferry', services: ['nope'] }));
    expect(missing).toMatchObject({ services: [], failures: [{ arn: 'nope', reason: 'MISSING' }] });

    const updated = await box.ecs.send(
      new UpdateServiceCommand({ cluster: 'ferry', service: 'workers', desiredCount: 2 }),
    );
    expect(updated.service?.desiredCount).toBe(2);
    await expect.poll(async () => (await describeService('workers'))?.runningCount).toBe(2);
    const service = await describeService('workers');
    expect(service?.deployments).toMatchObject([
      { status: 'PRIMARY', desiredCount: 2, runningCount: 2, pendingCount: 0, rolloutState: 'COMPLETED' },
    ]);
    expect(service?.events?.map((event) => event.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\(service workers\) has started 2 tasks: \(task \w+\) \(task \w+\)\.$/),
      ]),
    );
    expect(service?.events?.[0]?.createdAt).toBeInstanceOf(Date);

    const { taskArns = [] } = await box.ecs.send(
      new ListTasksCommand({ cluster: 'ferry', serviceName: 'workers' }),
    );
    expect(taskArns).toHaveLength(2);
    const { tasks = [] } = await box.ecs.send(
      new DescribeTasksCommand({ cluster: 'ferry', tasks: taskArns }),
    );
    expect(tasks.map((task) => task.lastStatus)).toEqual(['RUNNING', 'RUNNING']);
    expect(tasks[0]).toMatchObject({
      group: 'service:workers',
      desiredStatus: 'RUNNING',
      cpu: '1024',
      memory: '2048',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/ferry-worker:1',
    });
    // Real processes: each one's pid is the container's runtime id, and it is alive.
    for (const task of tasks)
      expect(() => process.kill(Number(task.containers?.[0]?.runtimeId), 0)).not.toThrow();

    // Signalled before it has installed its handler, a process dies of SIGTERM (143): wait for that.
    for (const task of box.standIn.service('workers', 'ferry')?.tasks() ?? []) await box.agentUriOf(task.id);
    await box.ecs.send(new UpdateServiceCommand({ cluster: 'ferry', service: 'workers', desiredCount: 0 }));
    await expect.poll(async () => (await describeService('workers'))?.runningCount).toBe(0);
    await expect
      .poll(
        async () =>
          (await box.ecs.send(new ListTasksCommand({ cluster: 'ferry', desiredStatus: 'STOPPED' }))).taskArns,
      )
      .toHaveLength(2);
    const describeTasks = async () =>
      (await box.ecs.send(new DescribeTasksCommand({ cluster: 'ferry', tasks: taskArns }))).tasks ?? [];
    await expect
      .poll(async () => (await describeTasks()).map((t) => t.lastStatus))
      .toEqual(['STOPPED', 'STOPPED']);
    expect((await describeTasks())[0]).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: expect.stringMatching(/^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/),
      containers: [{ exitCode: 0, lastStatus: 'STOPPED' }],
    });
  });

  it("answers errors in the SDK's shapes: ClusterNotFound, ServiceNotFound, InvalidParameter; CloudWatch's InvalidParameterValue", async () => {
    box.standIn.createService({ cluster: 'ferry', name: 'workers', taskDefinition: fakeTask() });
    const cluster = await box.ecs
      .send(new DescribeServicesCommand({ cluster: 'elsewhere', services: ['workers'] }))
      .catch((e) => e);
    expect(cluster).toBeInstanceOf(ClusterNotFoundException);
    expect(cluster).toMatchObject({
      name: 'ClusterNotFoundException',
      $fault: 'client',
      message: 'Cluster not found.',
    });
    const service = await box.ecs
      .send(new UpdateServiceCommand({ cluster: 'ferry', service: 'nope', desiredCount: 1 }))
      .catch((e) => e);
    expect(service).toBeInstanceOf(ServiceNotFoundException);
    const negative = await box.ecs
      .send(new UpdateServiceCommand({ cluster: 'ferry', service: 'workers', desiredCount: -1 }))
      .catch((e) => e);
    expect(negative).toBeInstanceOf(InvalidParameterException);
    expect(negative.message).toMatch(/desiredCount/);
    const unknownTask = await box.ecs
      .send(new StopTaskCommand({ cluster: 'ferry', task: 'f'.repeat(32) }))
      .catch((e) => e);
    expect(unknownTask).toBeInstanceOf(InvalidParameterException);
    // Query-compatible: the old Query error code rides along.
    const period = await box.cloudwatch
      .send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            {
              Id: 'cpu',
              MetricStat: {
                Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization' },
                Period: 61,
                Stat: 'Average',
              },
            },
          ],
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(),
        }),
      )
      .catch((e) => e);
    expect(period).toBeInstanceOf(InvalidParameterValueException);
    expect(period).toMatchObject({ Code: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    expect(period.message).toMatch(/Period/);
  });

  it("GetMetricData answers the autoscaler's query: the tasks' measured CPU and memory, newest first, per period", async () => {
    box.standIn.createService({
      cluster: 'ferry',
      name: 'workers',
      desiredCount: 1,
      taskDefinition: fakeTask({ FAKE_TASK_BUSY_MS: '30' }, { cpu: 512, memoryMiB: 512 }),
    });
    const stat = (id: string, namespace: string, metric: string, service = 'workers'): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: namespace,
          MetricName: metric,
          Dimensions: [
            { Name: 'ClusterName', Value: 'ferry' },
            { Name: 'ServiceName', Value: service },
          ],
        },
        Period: 60,
        Stat: namespace === 'AWS/ECS' ? 'Average' : 'Sum',
      },
      ReturnData: namespace === 'AWS/ECS',
    });
    // What ecs-signals.ts asks.
    const query = (now: number) =>
      new GetMetricDataCommand({
        MetricDataQueries: [
          stat('cpu', 'AWS/ECS', 'CPUUtilization'),
          stat('memory', 'AWS/ECS', 'MemoryUtilization'),
          stat('ciCpuUsed', 'ECS/ContainerInsights', 'CpuUtilized'),
          stat('ciCpuReserved', 'ECS/ContainerInsights', 'CpuReserved'),
          { Id: 'ciCpu', Expression: '100 * ciCpuUsed / ciCpuReserved', ReturnData: true },
        ],
        StartTime: new Date(now - 600_000),
        EndTime: new Date(now),
        ScanBy: 'TimestampDescending',
      });
    await expect
      .poll(
        async () => (await box.cloudwatch.send(query(Date.now()))).MetricDataResults?.[0]?.Values?.length,
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const now = Date.now();
    const { MetricDataResults: results = [] } = await box.cloudwatch.send(query(now));
    expect(results.map((result) => result.Id)).toEqual(['cpu', 'memory', 'ciCpu']);
    const [cpu, memory, ciCpu] = results;
    // Busy 30 ms in every 100 against half a vCPU: about 60%, less on a loaded machine.
    expect(cpu?.Values?.[0]).toBeGreaterThan(10);
    expect(cpu?.Values?.[0]).toBeLessThan(150);
    // A bare Node process's RSS against 512 MiB.
    expect(memory?.Values?.[0]).toBeGreaterThan(1);
    expect(memory?.Values?.[0]).toBeLessThan(50);
    const newest = cpu?.Timestamps?.[0]?.getTime() ?? 0;
    expect(newest % 60_000).toBe(0);
    expect(now - newest).toBeLessThan(60_000);
    expect(cpu?.StatusCode).toBe('Complete');
    // No Container Insights here: its queries have no datapoints.
    expect(ciCpu).toMatchObject({ Values: [], Timestamps: [] });
    // A service the stand-in does not run: no datapoints either.
    const other = await box.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [stat('cpu', 'AWS/ECS', 'CPUUtilization', 'other')],
        StartTime: new Date(now - 600_000),
        EndTime: new Date(now),
      }),
    );
    expect(other.MetricDataResults?.[0]?.Values).toEqual([]);
  });
});
