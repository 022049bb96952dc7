import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { expect, vi } from 'vitest';
import { type EcsStandIn, startEcsStandIn } from '../start-ecs-stand-in.ts';
import type { EcsTaskDefinition } from '../task-definition.ts';

const FAKE_TASK = fileURLToPath(new URL('./fake-task.ts', import.meta.url));

/** A task definition running fake-task.ts, with its FAKE_TASK_* variables. */
export function fakeTask(
  environment: Record<string, string> = {},
  extra: Partial<EcsTaskDefinition> = {},
): EcsTaskDefinition {
  return {
    command: process.execPath,
    args: [FAKE_TASK],
    environment: { PATH: process.env.PATH ?? '', ...environment },
    stopTimeoutS: 5,
    ...extra,
  };
}

export interface TestStandIn {
  standIn: EcsStandIn;
  /** The real SDK clients, pointed at the stand-in by the SDK's own endpoint variables. */
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
  /** Each task's output lines, parsed, by task id. */
  output: Map<string, Array<Record<string, unknown>>>;
  /** Moves the stand-in's clock on: protections expire. */
  advanceClock(ms: number): void;
  /** The task's ECS_AGENT_URI, once it has said it (its SIGTERM handler is in place by then). */
  agentUriOf(taskId: string): Promise<string>;
  /** PUT {ECS_AGENT_URI}/task-protection/v1/state, as the worker does. */
  protect(
    taskId: string,
    enabled: boolean,
    minutes?: number,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** The stand-in with a fast tick, a clock the test can move and every task's output kept. */
export async function startTestStandIn(): Promise<TestStandIn> {
  let clockOffsetMs = 0;
  const output = new Map<string, Array<Record<string, unknown>>>();
  const standIn = await startEcsStandIn({
    tickMs: 100,
    now: () => Date.now() + clockOffsetMs,
    taskOutput: (_service, taskId) => {
      const lines: Array<Record<string, unknown>> = [];
      output.set(taskId, lines);
      return new Writable({
        write(chunk, _encoding, callback) {
          lines.push(JSON.parse(String(chunk)));
          callback();
        },
      });
    },
  });
  // The standard way: the SDK's service-specific endpoint variables, and any credentials.
  for (const [name, value] of Object.entries(standIn.clientEnv)) vi.stubEnv(name, value);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'stand-in');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'stand-in-secret');
  const ecs = new ECSClient({});
  const cloudwatch = new CloudWatchClient({});

  const agentUriOf = async (taskId: string): Promise<string> => {
    await expect.poll(() => output.get(taskId)?.[0]?.agentUri).toBeTypeOf('string');
    return String(output.get(taskId)?.[0]?.agentUri);
  };

  return {
    standIn,
    ecs,
    cloudwatch,
    output,
    advanceClock: (ms) => {
      clockOffsetMs += ms;
    },
    agentUriOf,
    protect: async (taskId, enabled, minutes) => {
      const response = await fetch(`${await agentUriOf(taskId)}/task-protection/v1/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ProtectionEnabled: enabled,
          ...(minutes === undefined ? {} : { ExpiresInMinutes: minutes }),
        }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    close: async () => {
      ecs.destroy();
      cloudwatch.destroy();
      await standIn.close();
      vi.unstubAllEnvs();
    },
  };
}
