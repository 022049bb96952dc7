import { describe, expect, it } from 'vitest';
import { KeyRing } from './key-ring.ts';

describe('KeyRing', () => {
  const ring = new KeyRing(
    new Map([
      ['key-one', 'tenant-1'],
      ['key-two-is-longer', 'tenant-2'],
    ]),
  );

  it('finds the tenant of a configured key', () => {
    expect(ring.tenantFor('key-one')).toBe('tenant-1');
    expect(ring.tenantFor('key-two-is-longer')).toBe('tenant-2');
  });

  it('refuses prefixes, extensions, case changes and the empty key', () => {
    for (const wrong of ['key-on', 'key-one-', 'KEY-ONE', '', 'key-two'])
      expect(ring.tenantFor(wrong)).toBeNull();
  });
});
