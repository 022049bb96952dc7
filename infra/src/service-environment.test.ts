import { ApiEnv } from '@ferry/api';
import { AutoscalerEnv } from '@ferry/autoscaler';
import { WorkerEnv } from '@ferry/worker';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EVERY_OPTION } from './testing/every-option.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, environmentOf, secretsOf } from './testing/template-queries.ts';

const { template } = synthFerry();
const everyOption = synthFerry(EVERY_OPTION).template;

/** As much of a zod object schema as these checks use. */
interface ServiceEnvSchema {
  shape: object;
  safeParse(input: unknown): { error?: { issues: unknown[] } };
}

/** What ECS would put where the template has a reference, so the services' own schemas can parse it. */
const AT_RUN_TIME: Record<string, string> = {
  REDIS_URL: 'rediss://master.ferry-redis.abc123.euw1.cache.amazonaws.com:6380',
  REDIS_PASSWORD: 'GeneratedAuthToken0123456789',
  FERRY_SECRET_KEY: 'a'.repeat(64),
  FERRY_API_KEYS: 'GeneratedApiKey0123456789:default',
  S3_REGION: 'eu-west-1',
  AWS_REGION: 'eu-west-1',
  ECS_CLUSTER: 'Ferry-ClusterC2E21B66-abcdef',
  ECS_SERVICE: 'Ferry-WorkerService3F60922A-abcdef',
  EVENTS_SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Ferry-EventsQueue-abcdef',
  JOBS_BUCKET: 'ferry-jobsbucket-abcdef',
};

/** The container's variables and secrets as the process sees them. */
function processEnvironment(name: string, from: Template = template): Record<string, string> {
  const container = containerNamed(from, name);
  const names = [...Object.keys(environmentOf(container)), ...Object.keys(secretsOf(container))];
  return Object.fromEntries(
    names.map((variable) => {
      const value = environmentOf(container)[variable];
      if (typeof value === 'string') return [variable, value];
      const runTime = AT_RUN_TIME[variable];
      if (runTime === undefined) throw new Error(`no run-time value for ${variable}`);
      return [variable, runTime];
    }),
  );
}

const SERVICES = [
  ['api', ApiEnv],
  ['worker', WorkerEnv],
  ['autoscaler', AutoscalerEnv],
] as [string, ServiceEnvSchema][];

describe.each(SERVICES)('the %s container', (name, schema) => {
  const environment = processEnvironment(name);

  it('sets only variables the service reads', () => {
    const unread = Object.keys(environment).filter((variable) => !(variable in schema.shape));
    expect(unread).toEqual([]);
  });

  it("passes the service's own configuration check", () => {
    const parsed = schema.safeParse(environment);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });
});

// The options' settings (JOB_MANIFEST_BUCKETS, HTTP_HOST_LIMITS, ...) must be ones the services take.
describe.each(SERVICES)('the %s container with every option', (name, schema) => {
  it("passes the service's own configuration check", () => {
    const parsed = schema.safeParse(processEnvironment(name, everyOption));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });
});
