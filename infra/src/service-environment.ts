import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Redis } from './redis.ts';

/** FERRY_QUEUE of every service, and the `Queue` dimension of Ferry's own metrics. */
export const FERRY_QUEUE = 'ferry-imports';

/** What every service that touches the queue is given: where Redis is and which queue is theirs. */
export function queueEnvironment(redis: Redis): Record<string, string> {
  return { REDIS_URL: redis.url, FERRY_QUEUE };
}

/** The AUTH token, as a variable of its own: an ECS secret fills a whole variable, never part of a URL. */
export function queueSecrets(redis: Redis): Record<string, ecs.Secret> {
  return { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(redis.authToken) };
}

/** A service's log group and the awslogs driver writing to it. */
export function serviceLogging(scope: Construct, streamPrefix: string): ecs.LogDriver {
  const logGroup = new logs.LogGroup(scope, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
  return ecs.LogDrivers.awsLogs({ logGroup, streamPrefix });
}

/** Deployments that fail to start tasks roll back instead of retrying for hours. */
export const ROLLBACK_ON_FAILURE: ecs.DeploymentCircuitBreaker = { enable: true, rollback: true };
