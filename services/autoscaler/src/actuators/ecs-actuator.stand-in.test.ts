import { ECSClient } from '@aws-sdk/client-ecs';
import { createLogger } from '@ferry/shared';
import { type EcsStandIn, startEcsStandIn } from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { busyTask } from '../testing/busy-task.ts';
import { pointSdkAtStandIn } from '../testing/point-sdk-at-stand-in.ts';
import { ecsActuator } from './ecs-actuator.ts';

describe('ECS actuator against the ECS stand-in (real SDK client, real HTTP)', () => {
  let standIn: EcsStandIn;
  beforeEach(async () => {
    standIn = await startEcsStandIn({ tickMs: 100 });
    pointSdkAtStandIn(standIn);
  });
  afterEach(async () => {
    await standIn.close();
    vi.unstubAllEnvs();
  });

  it("reads the service's desiredCount and sets it with UpdateService only when it changes; tasks follow", async () => {
    const service = standIn.createService({
      cluster: 'ferry',
      name: 'ferry-workers',
      desiredCount: 1,
      taskDefinition: busyTask(0),
    });
    // Counts the commands the real client sends; nothing is answered here.
    const client = new ECSClient({});
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    const ecsFleet = ecsActuator({
      client,
      cluster: 'ferry',
      service: 'ferry-workers',
      logger: createLogger('autoscaler', 'silent'),
    });
    expect(ecsFleet.mode).toBe('ecs');
    expect(await ecsFleet.current()).toBe(1);

    await ecsFleet.apply(3);
    expect(service.desiredCount).toBe(3);
    expect(await ecsFleet.current()).toBe(3);
    await expect.poll(() => service.counts().running, { timeout: 15_000 }).toBe(3);
    expect(sent.filter((command) => command === 'UpdateServiceCommand')).toHaveLength(1);

    // The same count again sends no UpdateService.
    await ecsFleet.apply(3);
    expect(sent.filter((command) => command === 'UpdateServiceCommand')).toHaveLength(1);

    await ecsFleet.apply(1);
    await expect.poll(() => service.counts().running, { timeout: 15_000 }).toBe(1);
    await ecsFleet.close();
  });
});
