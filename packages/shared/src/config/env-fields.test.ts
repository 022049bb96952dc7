import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { QueueEnvFields } from './env-fields.ts';

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
