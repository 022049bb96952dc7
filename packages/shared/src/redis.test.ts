import { describe, expect, it } from 'vitest';
import { createRedis } from './redis.ts';

// Port 1 refuses at once: these only read the options the client was built with.
const UNREACHABLE = 'rediss://127.0.0.1:1';

describe('createRedis', () => {
  it('authenticates with a password given apart from the URL', () => {
    const redis = createRedis(UNREACHABLE, { password: 'token-from-a-secret' });
    try {
      expect(redis.options.password).toBe('token-from-a-secret');
      expect(redis.options.tls).toBeTruthy();
    } finally {
      redis.disconnect();
    }
  });

  it("keeps the URL's own password when the option is unset", () => {
    const redis = createRedis('rediss://:in-the-url@127.0.0.1:1', { password: undefined });
    try {
      expect(redis.options.password).toBe('in-the-url');
    } finally {
      redis.disconnect();
    }
  });
});
