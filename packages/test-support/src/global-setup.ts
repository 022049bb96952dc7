import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureRedis,
  fauxqsVersion,
  LOCAL_S3_CREDENTIALS,
  startRadosgw,
  startS3Server,
} from '@ferry/local-stack';
import type { TestProject } from 'vitest/node';
import type { S3TestBackend } from './s3-backends.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    s3Backends: S3TestBackend[];
  }
}

/**
 * Real services for the whole run: the Redis at REDIS_URL (or one started here when none answers),
 * one disk-backed fauxqs and, unless FERRY_TEST_RADOSGW=0, a one-node Ceph cluster with radosgw
 * (installed from Debian's packages when missing). Tests isolate themselves by queue name and
 * bucket, not by server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[test setup] ${line}`);
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { log });
  const fauxqsDir = mkdtempSync(join(tmpdir(), 'ferry-test-s3-'));
  const withRadosgw = process.env.FERRY_TEST_RADOSGW !== '0';
  const [fauxqs, radosgw] = await Promise.all([
    startS3Server({ dir: fauxqsDir, removeOnClose: true }),
    withRadosgw
      ? startRadosgw({ dir: mkdtempSync(join(tmpdir(), 'ferry-test-rgw-')), removeOnClose: true, log })
      : null,
  ]);
  const backends: S3TestBackend[] = [
    {
      name: 'fauxqs',
      label: `fauxqs ${fauxqsVersion()}`,
      endpoint: fauxqs.endpoint,
      credentials: LOCAL_S3_CREDENTIALS,
      dir: fauxqsDir,
    },
  ];
  if (radosgw) {
    backends.push({
      name: 'radosgw',
      label: `Ceph RGW ${radosgw.version}`,
      endpoint: radosgw.endpoint,
      credentials: radosgw.credentials,
    });
    log(`radosgw ${radosgw.version} at ${radosgw.endpoint}`);
  }
  project.provide('redisUrl', redis.url);
  project.provide('s3Backends', backends);
  return async () => {
    await Promise.all([fauxqs.close(), radosgw?.close()]);
    await redis.close();
  };
}
