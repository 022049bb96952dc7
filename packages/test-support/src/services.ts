import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
// Brings in the ProvidedContext declaration that types inject().
import type {} from './global-setup.ts';
import { backendS3Client, defaultBackend, type S3TestBackend } from './s3-backends.ts';

/** A name no other test (nor an earlier run) uses: queues, buckets and tenants are per test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** The default S3 server's endpoint (fauxqs). */
export function testS3Endpoint(): string {
  return defaultBackend().endpoint;
}

/** A client that waits out an outage (commands queue until it reconnects): the test Redis unless given. */
export function newRedis(url: string = testRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** The key every test service seals provider secrets with (fixed, so a test's API and workers agree). */
export const TEST_SECRET_KEY = Buffer.alloc(32, 'ferry-test-secret-key').toString('base64');

/** Environment a service needs to talk to the test Redis and an S3 server (the default one unless given). */
export function serviceEnv(
  queue: string,
  extra: Record<string, string> = {},
  backend: S3TestBackend = defaultBackend(),
): Record<string, string> {
  return {
    REDIS_URL: testRedisUrl(),
    FERRY_QUEUE: queue,
    S3_ENDPOINT: backend.endpoint,
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: '1',
    AWS_ACCESS_KEY_ID: backend.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: backend.credentials.secretAccessKey,
    SOURCE_ALLOW_PRIVATE: '1',
    FERRY_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: 'silent',
    // Workers of parallel tests cannot all have the default port.
    METRICS_PORT: '0',
    ...extra,
  };
}

export function newS3Client(backend: S3TestBackend = defaultBackend()): S3Client {
  return backendS3Client(backend);
}

export async function createTestBucket(s3: S3Client, prefix = 'ferry-test'): Promise<string> {
  const bucket = uniqueName(prefix).toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/**
 * Deletes every key of one test queue's store (`ferry:{queue}:…`): a test that writes 100,000
 * records must not leave them for the runs after it, whose scans of the keyspace they would slow.
 */
export async function forgetQueueKeys(redis: Redis, queue: string): Promise<void> {
  const stream = redis.scanStream({ match: `ferry:{${queue}}:*`, count: 5000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.unlink(...keys);
  }
}

/**
 * How long a test waits for something that will happen (an import to finish, a worker to resume):
 * a bound for hangs, not a speed target. The crash soak runs the crash tests beside two copies of the
 * suite on two cores, where a wait of seconds takes a minute.
 */
export const TEST_PATIENCE_MS = 120_000;
