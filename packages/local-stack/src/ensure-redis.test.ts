import { describe, expect, it } from 'vitest';
import { ensureRedis, redisAnswers } from './ensure-redis.ts';
import { freePort } from './free-port.ts';

describe('ensureRedis', () => {
  it('starts redis-server on a free port when nothing answers at REDIS_URL, and stops it on close', async () => {
    const silent = `redis://127.0.0.1:${await freePort()}`;
    expect(await redisAnswers(silent)).toBe(false);
    const handle = await ensureRedis(silent, { allowInstall: false });
    try {
      expect(handle.started).toBe(true);
      expect(handle.url).not.toBe(silent);
      expect(await redisAnswers(handle.url)).toBe(true);
    } finally {
      await handle.close();
    }
    expect(await redisAnswers(handle.url)).toBe(false);
  });

  it('uses a Redis that already answers and leaves it running', async () => {
    const first = await ensureRedis(`redis://127.0.0.1:${await freePort()}`, { allowInstall: false });
    try {
      const second = await ensureRedis(first.url);
      expect(second).toMatchObject({ url: first.url, started: false });
      await second.close();
      expect(await redisAnswers(first.url)).toBe(true);
    } finally {
      await first.close();
    }
  });
});
