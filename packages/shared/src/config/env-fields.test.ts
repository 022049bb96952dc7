import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FeedEnvFields, QueueEnvFields } from './env-fields.ts';

const QueueEnv = z.object(QueueEnvFields);

describe('REDIS_PASSWORD', () => {
  it('is read apart from REDIS_URL, as an ECS secret injects it', () => {
    const env = QueueEnv.parse({ REDIS_URL: 'rediss://redis.internal:6380', REDIS_PASSWORD: 'token' });
    expect(env).toMatchObject({ REDIS_URL: 'rediss://redis.internal:6380', REDIS_PASSWORD: 'token' });
  });

  it('is optional', () => {
    expect(QueueEnv.parse({}).REDIS_PASSWORD).toBeUndefined();
  });

  it('refuses an empty value rather than authenticating with nothing', () => {
    expect(QueueEnv.safeParse({ REDIS_PASSWORD: '' }).success).toBe(false);
  });
});

describe('QUEUE_FEED_WINDOW and QUEUE_FEED_POLL_MS', () => {
  const FeedEnv = z.object(FeedEnvFields);

  it('default to a window of 1,000 jobs, looked at every second', () => {
    expect(FeedEnv.parse({})).toEqual({ QUEUE_FEED_WINDOW: 1000, QUEUE_FEED_POLL_MS: 1000 });
  });

  it('refuse a window of none, and a poll faster than 50 ms', () => {
    expect(FeedEnv.safeParse({ QUEUE_FEED_WINDOW: '0' }).success).toBe(false);
    expect(FeedEnv.safeParse({ QUEUE_FEED_WINDOW: 'many' }).success).toBe(false);
    expect(FeedEnv.safeParse({ QUEUE_FEED_POLL_MS: '10' }).success).toBe(false);
    expect(FeedEnv.parse({ QUEUE_FEED_WINDOW: '1', QUEUE_FEED_POLL_MS: '50' })).toEqual({
      QUEUE_FEED_WINDOW: 1,
      QUEUE_FEED_POLL_MS: 50,
    });
  });
});
