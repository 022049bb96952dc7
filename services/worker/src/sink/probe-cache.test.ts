import { testRedisUrl, uniqueName } from '@ferry/test-support';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { EndpointCapabilities } from './checksum-mode.ts';
import { RedisProbeCache } from './probe-cache.ts';

const redis = new Redis(testRedisUrl());
afterAll(() => redis.quit());

const CAPABILITIES = { listParts: true, md5Etags: true } as unknown as EndpointCapabilities;

describe('RedisProbeCache', () => {
  it('lets one of several workers probe, after clearing leftovers, and hands the others its answer', async () => {
    const prefix = `${uniqueName('probe-cache')}:`;
    const steps: string[] = [];
    let release: () => void = () => {};
    const probing = new Promise<void>((resolve) => {
      release = resolve;
    });
    const probe = async () => {
      steps.push('probe');
      await probing;
      return CAPABILITIES;
    };
    const clear = async () => void steps.push('clear');
    // Three workers of one fleet (separate caches, one Redis) ask at once.
    const answers = [1, 2, 3].map(() =>
      new RedisProbeCache(redis, prefix).probeOnce('http://s3', 'bucket', probe, clear),
    );
    await expect.poll(() => steps).toEqual(['clear', 'probe']);
    release();
    expect(await Promise.all(answers)).toEqual([CAPABILITIES, CAPABILITIES, CAPABILITIES]);
    expect(steps).toEqual(['clear', 'probe']);
    // A worker that starts later reads the answer without a turn.
    expect(await new RedisProbeCache(redis, prefix).probeOnce('http://s3', 'bucket', probe, clear)).toEqual(
      CAPABILITIES,
    );
    expect(steps).toEqual(['clear', 'probe']);
  });

  it('gives the turn to the next worker when the probe fails, and keeps nothing', async () => {
    const prefix = `${uniqueName('probe-cache')}:`;
    const failing = new RedisProbeCache(redis, prefix).probeOnce(
      'http://s3',
      'bucket',
      async () => {
        throw new Error('S3 answered 503');
      },
      async () => {},
    );
    await expect(failing).rejects.toThrow('S3 answered 503');
    let probes = 0;
    const next = await new RedisProbeCache(redis, prefix).probeOnce(
      'http://s3',
      'bucket',
      async () => {
        probes++;
        return CAPABILITIES;
      },
      async () => {},
    );
    expect(next).toEqual(CAPABILITIES);
    expect(probes).toBe(1);
  });
});
