import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { createLogger } from '@ferry/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ecsActuator } from './ecs-actuator.ts';

// The happy path runs against the ECS stand-in (ecs-actuator.stand-in.test.ts); these are the
// answers it does not give.
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
