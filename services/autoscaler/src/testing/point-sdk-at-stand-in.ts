import type { EcsStandIn } from '@ferry/test-support';
import { vi } from 'vitest';

/**
 * Sets the SDK's own endpoint and credential variables (undone by `vi.unstubAllEnvs()`), so real
 * ECS and CloudWatch clients find the stand-in the way production's find AWS.
 */
export function pointSdkAtStandIn(standIn: EcsStandIn): void {
  for (const [name, value] of Object.entries(standIn.clientEnv)) vi.stubEnv(name, value);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'stand-in');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'stand-in-secret');
}
