import { describe, expect, it } from 'vitest';
import { parseApiConfig } from '../env.ts';

const TENANT_KEY = 'ak_tenant_key_0123456789abcdef';
const ADMIN_KEY = 'adm_operator_key_0123456789ab';

function parse(adminKeys?: string) {
  return parseApiConfig({
    FERRY_API_KEYS: `${TENANT_KEY}:acme`,
    FERRY_DEV: '1',
    ...(adminKeys === undefined ? {} : { FERRY_ADMIN_KEYS: adminKeys }),
  });
}

function refusal(adminKeys: string): string {
  try {
    parse(adminKeys);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected FERRY_ADMIN_KEYS to be refused');
}

describe('FERRY_ADMIN_KEYS', () => {
  it('leaves /admin unmounted when unset or empty', () => {
    expect(parse().FERRY_ADMIN_KEYS).toBeUndefined();
    expect(parse(' , ').FERRY_ADMIN_KEYS).toBeUndefined();
  });

  it('parses comma-separated keys, trimmed, without repeats', () => {
    expect(parse(` ${ADMIN_KEY}, adm_second_key_abcdef01,${ADMIN_KEY},`).FERRY_ADMIN_KEYS).toEqual([
      ADMIN_KEY,
      'adm_second_key_abcdef01',
    ]);
  });

  it.each([
    ['a short key', `${ADMIN_KEY},short`, /entry 2: the key must be at least 16 characters long/],
    ['a key with a space', 'adm operator key 0123456789', /entry 1: the key may hold only visible ASCII/],
    [
      'a tenant key',
      `${ADMIN_KEY},${TENANT_KEY}`,
      /FERRY_ADMIN_KEYS: must not repeat a key of FERRY_API_KEYS/,
    ],
  ])('refuses %s, naming the variable but not the key', (_, value, expected) => {
    const message = refusal(value);
    expect(message).toMatch(expected);
    expect(message).not.toContain(ADMIN_KEY);
    expect(message).not.toContain(TENANT_KEY);
  });
});
