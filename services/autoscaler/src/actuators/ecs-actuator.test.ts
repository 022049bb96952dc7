import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { createLogger } from '@ferry/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ecsActuator } from './ecs-actuator.ts';

describe('ECS actuator (SDK boundary faked with aws-sdk-client-mock)', () => {
  const ecs = mockClient(ECSClient);
  afterEach(() => ecs.reset());

  const actuator = () =>
    ecsActuator({
      client: new ECSClient({ region: 'us-east-1' }),
      cluster: 'ferry',
      service: 'ferry-workers',
      logger: createLogger('autoscaler', 'silent'),
    });

  it("reads the service's desiredCount and sets it with UpdateService only when it changes", async () => {
    let desiredCount = 2;
    ecs.on(DescribeServicesCommand).callsFake(() => ({
      services: [{ serviceName: 'ferry-workers', status: 'ACTIVE', desiredCount, runningCount: 2 }],
    }));
    ecs.on(UpdateServiceCommand).callsFake((input: { desiredCount: number }) => {
      desiredCount = input.desiredCount;
      return { service: { desiredCount } };
    });
    const ecsFleet = actuator();
    expect(ecsFleet.mode).toBe('ecs');
    expect(await ecsFleet.current()).toBe(2);

    await ecsFleet.apply(7);
    expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'ferry', service: 'ferry-workers', desiredCount: 7 },
    ]);
    expect(await ecsFleet.current()).toBe(7);

    await ecsFleet.apply(7);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    await ecsFleet.close();
  });

  it('fails when the service cannot be found or updated, for the loop to report and retry', async () => {
    ecs.on(DescribeServicesCommand).resolves({ failures: [{ reason: 'MISSING' }] });
    const ecsFleet = actuator();
    await expect(ecsFleet.apply(3)).rejects.toThrow(/MISSING/);

    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: 'ACTIVE', desiredCount: 1 }] });
    ecs.on(UpdateServiceCommand).rejects(new Error('AccessDeniedException'));
    await expect(ecsFleet.apply(3)).rejects.toThrow(/AccessDenied/);
    await ecsFleet.close();
  });
});
