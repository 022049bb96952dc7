import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type EcsStandIn, startEcsStandIn } from '@ferry/local-stack';
import { CLI_ENTRY } from '../paths.ts';

export const LOCAL_ECS_CLUSTER = 'ferry-local';
export const LOCAL_ECS_SERVICE = 'ferry-workers';
/** The most tasks the autoscaler runs when `ferry up --ecs` is not given `--autoscale N`. */
export const ECS_DEFAULT_MAX_WORKERS = 4;

export interface LocalEcs {
  /** Where the stand-in's ECS and CloudWatch APIs answer. */
  url: string;
  cluster: string;
  service: string;
  /** What points the autoscaler's AWS SDK clients at the stand-in (endpoint variables, region). */
  clientEnv: EcsStandIn['clientEnv'];
  /** Stops every task (each drains, handing its imports back), then the stand-in. */
  close(): Promise<void>;
}

/**
 * `ferry up --ecs`: the ECS/CloudWatch stand-in with one service, its tasks `ferry worker` processes
 * with the stack's environment, as the production task definition runs the image (120 s from
 * SIGTERM to SIGKILL, past the worker's 90 s drain). It starts at one task; the autoscaler, in
 * `ecs` mode, sets its desiredCount from then on. Each task logs to `<logDir>/task-<id>.log`.
 */
export async function startLocalEcs(workerEnv: NodeJS.ProcessEnv, logDir: string): Promise<LocalEcs> {
  mkdirSync(logDir, { recursive: true });
  const standIn = await startEcsStandIn({
    taskOutput: (_service, taskId) => createWriteStream(join(logDir, `task-${taskId.slice(0, 12)}.log`)),
  });
  standIn.createService({
    cluster: LOCAL_ECS_CLUSTER,
    name: LOCAL_ECS_SERVICE,
    desiredCount: 1,
    taskDefinition: {
      command: process.execPath,
      args: [CLI_ENTRY, 'worker'],
      environment: Object.fromEntries(
        Object.entries(workerEnv).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      stopTimeoutS: 120,
      cpu: 1024,
      memoryMiB: 2048,
    },
  });
  return {
    url: standIn.url,
    cluster: LOCAL_ECS_CLUSTER,
    service: LOCAL_ECS_SERVICE,
    clientEnv: standIn.clientEnv,
    close: () => standIn.close(),
  };
}
