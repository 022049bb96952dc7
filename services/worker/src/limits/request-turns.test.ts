import { setTimeout as sleep } from 'node:timers/promises';
import { newRedis, uniqueName } from '@ferry/test-support';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { limitsPrefix } from './fleet-limiter.ts';
import { RequestTurns } from './request-turns.ts';

const KEY = 'gdrive:client:idle-test';
const never = new AbortController().signal;
let turns: RequestTurns;
const observer = newRedis();

afterEach(async () => {
  await turns.close();
});

afterAll(async () => {
  await observer.quit();
});

describe('RequestTurns', () => {
  it('drops an idle key’s limiter, here and in Redis, and makes it again on the next request', async () => {
    const prefix = limitsPrefix(uniqueName('turns'));
    const id = `${prefix}rate:${KEY}`;
    turns = new RequestTurns({ client: newRedis(), prefix, idleMs: 200, now: Date.now, onError: () => {} });
    const subscribers = async () => ((await observer.pubsub('NUMSUB', `b_${id}`)) as [string, number])[1];

    await turns.take(KEY, 10, never);
    expect(await observer.exists(`b_${id}_settings`)).toBe(1);
    expect(await subscribers()).toBe(1);

    await sleep(700);
    expect(await subscribers()).toBe(0);
    expect(await observer.exists(`b_${id}_settings`)).toBe(0);

    await turns.take(KEY, 10, never);
    expect(await subscribers()).toBe(1);
  });

  it('writes the key’s rate over settings a limiter left in Redis', async () => {
    const prefix = limitsPrefix(uniqueName('turns'));
    turns = new RequestTurns({
      client: newRedis(),
      prefix,
      idleMs: 60_000,
      now: Date.now,
      onError: () => {},
    });
    await turns.take(KEY, 5, never);
    await turns.close();
    turns = new RequestTurns({
      client: newRedis(),
      prefix,
      idleMs: 60_000,
      now: Date.now,
      onError: () => {},
    });
    await turns.take(KEY, 20, never);
    expect(await observer.hget(`b_${prefix}rate:${KEY}_settings`, 'minTime')).toBe('53');
  });
});
