import { DescribeServicesCommand, StopTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeTask, startTestStandIn, type TestStandIn } from './testing/test-stand-in.ts';

describe("ECS stand-in's scheduler: real task processes, scale-in as ECS does it", () => {
  let box: TestStandIn;
  beforeEach(async () => {
    box = await startTestStandIn();
  });
  afterEach(() => box.close());

  const describeService = async (service: string, cluster = 'ferry') =>
    (await box.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];

  it('scale-in stops only unprotected tasks (SIGTERM), keeps protected ones until their protection expires', async () => {
    const service = box.standIn.createService({
      cluster: 'ferry',
      name: 'workers',
      desiredCount: 2,
      taskDefinition: fakeTask(),
    });
    await expect.poll(() => service.counts().running).toBe(2);
    const [busy, idle] = service.tasks();
    if (!busy || !idle) throw new Error('expected two tasks');

    // The agent's answers, as task-protection.ts expects them.
    const set = await box.protect(busy.id, true, 1);
    expect(set).toMatchObject({
      status: 200,
      body: { protection: { ProtectionEnabled: true, TaskArn: busy.arn } },
    });
    const expiresAt = Date.parse(String((set.body.protection as { ExpirationDate: string }).ExpirationDate));
    expect(expiresAt - Date.now()).toBeGreaterThan(55_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    const state = await fetch(`${await box.agentUriOf(busy.id)}/task-protection/v1/state`);
    expect(await state.json()).toMatchObject({ protection: { ProtectionEnabled: true } });
    expect(await box.protect(idle.id, true, 0)).toMatchObject({
      status: 400,
      body: { error: { Code: 'InvalidParameterException' } },
    });

    await box.ecs.send(new UpdateServiceCommand({ cluster: 'ferry', service: 'workers', desiredCount: 0 }));
    await expect.poll(() => service.task(idle.id)?.lastStatus).toBe('STOPPED');
    expect(service.task(idle.id)).toMatchObject({ stopCode: 'ServiceSchedulerInitiated', exitCode: 0 });
    expect(box.output.get(idle.id)?.map((line) => line.msg)).toContain('SIGTERM');
    // The protected one is left running, and the service says why.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(service.task(busy.id)).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      protected: true,
    });
    expect(box.output.get(busy.id)?.map((line) => line.msg)).not.toContain('SIGTERM');
    expect(service.events().map((event) => event.message)).toContain(
      '(service workers) was unable to scale in due to (reason: 1 tasks under protection).',
    );
    expect((await describeService('workers'))?.runningCount).toBe(1);

    // ExpiresInMinutes: a minute later the protection has lapsed, and the next pass stops it.
    box.advanceClock(61_000);
    await expect.poll(() => service.task(busy.id)?.lastStatus).toBe('STOPPED');
    expect(service.task(busy.id)?.stopCode).toBe('ServiceSchedulerInitiated');
  });

  it('a protection turned off lets scale-in stop the task at once', async () => {
    const service = box.standIn.createService({
      cluster: 'ferry',
      name: 'workers',
      desiredCount: 1,
      taskDefinition: fakeTask(),
    });
    await expect.poll(() => service.counts().running).toBe(1);
    const [task] = service.tasks();
    if (!task) throw new Error('expected a task');
    await box.protect(task.id, true);
    service.setDesiredCount(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(service.task(task.id)?.lastStatus).toBe('RUNNING');
    expect(await box.protect(task.id, false)).toMatchObject({
      status: 200,
      body: { protection: { ProtectionEnabled: false, TaskArn: task.arn } },
    });
    await expect.poll(() => service.task(task.id)?.lastStatus).toBe('STOPPED');
  });

  it('StopTask SIGTERMs a task whatever its protection (a Spot reclaim), and the service replaces it', async () => {
    const service = box.standIn.createService({
      cluster: 'ferry',
      name: 'workers',
      desiredCount: 1,
      taskDefinition: fakeTask(),
    });
    await expect.poll(() => service.counts().running).toBe(1);
    const [first] = service.tasks();
    if (!first) throw new Error('expected a task');
    await box.protect(first.id, true);
    const answer = await box.ecs.send(
      new StopTaskCommand({ cluster: 'ferry', task: first.arn, reason: 'Spot reclaim' }),
    );
    expect(answer.task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'Spot reclaim',
    });
    await expect.poll(() => service.task(first.id)?.lastStatus).toBe('STOPPED');
    expect(box.output.get(first.id)?.map((line) => line.msg)).toContain('SIGTERM');
    await expect.poll(() => service.tasks().filter((task) => task.lastStatus === 'RUNNING').length).toBe(1);
    expect(service.tasks()[0]?.id).not.toBe(first.id);
  });

  it('replaces a task that exits by itself, and SIGKILLs one that outlasts its stop timeout', async () => {
    const crashing = box.standIn.createService({
      cluster: 'ferry',
      name: 'crashing',
      desiredCount: 1,
      taskDefinition: fakeTask({ FAKE_TASK_EXIT_AFTER_MS: '300' }),
    });
    await expect
      .poll(() => crashing.tasks().filter((task) => task.lastStatus === 'STOPPED').length, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(2);
    const exited = crashing.tasks().find((task) => task.lastStatus === 'STOPPED');
    expect(exited).toMatchObject({ stopCode: 'EssentialContainerExited', exitCode: 3 });
    expect(crashing.failedTasks).toBeGreaterThanOrEqual(2);

    const stubborn = box.standIn.createService({
      cluster: 'ferry',
      name: 'stubborn',
      desiredCount: 1,
      taskDefinition: fakeTask({ FAKE_TASK_ON_TERM: 'ignore' }, { stopTimeoutS: 1 }),
    });
    await expect.poll(() => stubborn.counts().running).toBe(1);
    const [task] = stubborn.tasks();
    await expect.poll(() => box.output.get(task?.id ?? '')?.length).toBe(1);
    const stopAt = Date.now();
    stubborn.setDesiredCount(0);
    await expect.poll(() => stubborn.task(task?.id ?? '')?.lastStatus, { timeout: 5_000 }).toBe('STOPPED');
    expect(Date.now() - stopAt).toBeGreaterThanOrEqual(900);
    // 128 + SIGKILL's 9, as a container runtime reports it.
    expect(stubborn.task(task?.id ?? '')?.exitCode).toBe(137);
  });
});
