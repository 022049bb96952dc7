import { describe, expect, it } from 'vitest';
import { parseApiKeys } from './auth/api-keys.ts';
import { parseApiConfig } from './env.ts';

const SECRET = 'sk_live_do_not_print_me_0123456789';

function configError(env: Record<string, string>): { code: string; message: string } {
  try {
    parseApiConfig(env);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseApiConfig', () => {
  it('applies defaults and parses FERRY_API_KEYS into a key -> tenant map', () => {
    const config = parseApiConfig({ FERRY_API_KEYS: `${SECRET}:acme, other:key:globex`, FERRY_DEV: '1' });
    expect(config.PORT).toBe(8080);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.FERRY_QUEUE).toBe('ferry-imports');
    expect(config.SOURCE_ALLOW_PRIVATE).toBe(false);
    // The last ':' separates, so a key may itself contain ':'.
    expect([...config.FERRY_API_KEYS]).toEqual([
      [SECRET, 'acme'],
      ['other:key', 'globex'],
    ]);
  });

  it('requires FERRY_API_KEYS', () => {
    const error = configError({});
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/FERRY_API_KEYS: required/);
  });

  it.each([
    [`${SECRET}`, /entry 1 is not of the form key:tenant/],
    [`${SECRET}:`, /entry 1 is not of the form key:tenant/],
    [`:${SECRET}`, /entry 1 is not of the form key:tenant/],
    [`${SECRET}:acme,${SECRET}:globex`, /entry 2 repeats the key of entry 1/],
    [`${SECRET}:acme corp`, /entry 1: the tenant must be/],
    [`${SECRET} x:acme`, /entry 1: the key may hold only visible ASCII/],
    ['', /at least one key:tenant pair/],
  ])('refuses %#, naming FERRY_API_KEYS and never echoing a key', (value, problem) => {
    const error = configError({ FERRY_API_KEYS: value });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/FERRY_API_KEYS/);
    expect(error.message).toMatch(problem);
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it('requires FERRY_SECRET_KEY unless FERRY_DEV=1', () => {
    const error = configError({ FERRY_API_KEYS: 'k:t' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/FERRY_SECRET_KEY: required outside dev mode/);
    expect(parseApiConfig({ FERRY_API_KEYS: 'k:t', FERRY_DEV: '1' }).FERRY_SECRET_KEY).toBeUndefined();
  });

  it('names a bad PORT', () => {
    expect(configError({ FERRY_API_KEYS: 'k:t', PORT: '99999' }).message).toMatch(
      /PORT: expected a whole number/,
    );
  });
});

describe('parseApiKeys', () => {
  it('trims entries and skips stray commas', () => {
    const { keys, problems } = parseApiKeys(' a:t1 ,, b:t2 ,');
    expect(problems).toEqual([]);
    expect([...keys]).toEqual([
      ['a', 't1'],
      ['b', 't2'],
    ]);
  });
});
