import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAnswers } from './ensure-redis.ts';
import { type RestartableRedis, startRestartableRedis } from './restartable-redis.ts';

describe('a restartable redis-server', () => {
  let server: RestartableRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await startRestartableRedis();
    // As a worker's client: reconnects and waits out the outage.
    client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    client.on('error', () => {});
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.close();
  });

  it('keeps every acknowledged write across a SIGKILL, on the same address', async () => {
    await client.set('k', 'before the kill');
    await client.hset('h', 'part:1', 'x');
    const pid = server.pid;
    await server.kill();
    expect(server.pid).toBeNull();
    expect(await redisAnswers(server.url)).toBe(false);

    await server.start();
    expect(server.pid).not.toBe(pid);
    expect(await client.get('k')).toBe('before the kill');
    expect(await client.hgetall('h')).toEqual({ 'part:1': 'x' });
  });

  it('keeps them across SHUTDOWN too, and serves commands queued while it was down', async () => {
    await client.set('k', 'before the shutdown');
    await server.shutdown();
    expect(server.pid).toBeNull();
    const queued = client.incr('counter');
    await server.start();
    expect(await queued).toBe(1);
    expect(await client.get('k')).toBe('before the shutdown');
  });
});
