import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedis, startS3Server } from '@ferry/local-stack';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    s3Endpoint: string;
    s3Dir: string;
  }
}

/**
 * Real services for the whole run: the Redis at REDIS_URL (or one started here when none answers)
 * and one disk-backed S3 server. Tests isolate themselves by queue name and bucket, not by server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    log: (line) => console.log(`[test setup] ${line}`),
  });
  const s3Dir = mkdtempSync(join(tmpdir(), 'ferry-test-s3-'));
  const s3 = await startS3Server({ dir: s3Dir, removeOnClose: true });
  project.provide('redisUrl', redis.url);
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('s3Dir', s3Dir);
  return async () => {
    await s3.close();
    await redis.close();
  };
}
