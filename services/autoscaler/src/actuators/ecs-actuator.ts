import { type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Logger } from '@ferry/shared';
import { describeEcsService } from '../signals/describe-ecs-service.ts';
import type { Actuator } from './actuator.ts';

export interface EcsActuatorOptions {
  /** Owned: destroyed by close(). */
  client: ECSClient;
  cluster: string;
  service: string;
  logger: Logger;
}

/**
 * Sets the worker service's desiredCount. ECS itself then starts tasks, or stops unprotected ones:
 * a worker holding imports has task scale-in protection on, so scale-in never stops it mid-transfer.
 * The count is read back first so UpdateService is only called for a change.
 */
export function ecsActuator(options: EcsActuatorOptions): Actuator {
  const { client, cluster, service, logger } = options;

  const current = async (): Promise<number> =>
    (await describeEcsService(client, cluster, service)).desiredCount ?? 0;

  return {
    mode: 'ecs',
    current,
    apply: async (desired) => {
      const from = await current();
      if (from === desired) return;
      await client.send(new UpdateServiceCommand({ cluster, service, desiredCount: desired }));
      logger.info({ cluster, service, from, to: desired }, 'ECS service desiredCount set');
    },
    close: async () => {
      client.destroy();
    },
  };
}
