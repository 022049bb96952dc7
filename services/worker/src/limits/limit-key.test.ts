import { describe, expect, it } from 'vitest';
import { limitKey, providerOfKey, tokenAccount } from './limit-key.ts';

describe('limitKey', () => {
  it('keys by provider and account', () => {
    expect(limitKey('dropbox', 'app:abc')).toBe('dropbox:app:abc');
    expect(providerOfKey('gdrive:client:xyz')).toBe('gdrive');
    expect(providerOfKey('s3:bucket')).toBeNull();
  });

  it('derives a stable account id from a token without containing it', () => {
    const token = 'sl.very-secret-access-token';
    const account = tokenAccount(token);
    expect(account).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenAccount(token)).toBe(account);
    expect(tokenAccount(`${token}x`)).not.toBe(account);
    expect(limitKey('dropbox', `token:${account}`)).not.toContain(token);
  });

  it('refuses an empty account', () => {
    expect(() => limitKey('gdrive', '')).toThrow(/account/);
  });
});
