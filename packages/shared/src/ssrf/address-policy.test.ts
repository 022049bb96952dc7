import { describe, expect, it } from 'vitest';
import { addressRefusal } from './address-policy.ts';

describe('addressRefusal', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.10.10',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
  ])('refuses non-public %s unless private addresses are allowed', (address) => {
    expect(addressRefusal(address, false)).toMatch(/loopback, private or link-local/);
    expect(addressRefusal(address, true)).toBeNull();
  });

  it.each(['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '169.254.170.2'])(
    'refuses metadata address %s even when private addresses are allowed',
    (address) => {
      expect(addressRefusal(address, true)).toMatch(/metadata/);
      expect(addressRefusal(address, false)).toMatch(/metadata/);
    },
  );

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111'])('allows public %s', (address) => {
    expect(addressRefusal(address, false)).toBeNull();
  });
});
