import { describe, expect, it } from 'vitest';
import { parseApiConfig } from '../env.ts';

const BASE = { FERRY_API_KEYS: 'ak_test_0123456789abcdef:acme', FERRY_DEV: '1' };
const TOKEN = 'callback-token-do-not-print';

function configError(env: Record<string, string>): { code: string; message: string } {
  try {
    parseApiConfig({ ...BASE, ...env });
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the configuration to be refused');
}

describe('FERRY_NOTIFY_URLS', () => {
  it('parses tenant=url pairs; unset is no defaults', () => {
    expect(parseApiConfig(BASE).FERRY_NOTIFY_URLS.size).toBe(0);
    const config = parseApiConfig({
      ...BASE,
      FERRY_API_KEYS: 'ak_test_0123456789abcdef:acme,ak_test_fedcba9876543210:globex',
      FERRY_NOTIFY_URLS: `acme=https://hooks.example.com/a?token=${TOKEN}, globex=https://globex.example/h,`,
    });
    expect([...config.FERRY_NOTIFY_URLS]).toEqual([
      ['acme', `https://hooks.example.com/a?token=${TOKEN}`],
      ['globex', 'https://globex.example/h'],
    ]);
  });

  it.each([
    [`https://hooks.example.com/?token=${TOKEN}`, /entry 1 is not of the form tenant=url/],
    [
      `acme=ftp://hooks.example.com/?token=${TOKEN}`,
      /entry 1: the URL must be absolute and use http or https/,
    ],
    [`acme=https://a.example/?t=${TOKEN},acme=https://b.example/`, /entry 2 repeats tenant acme/],
    [`acme=http://hooks.example.com/?token=${TOKEN}`, /tenant acme must use https/],
    [`initech=https://hooks.example.com/?token=${TOKEN}`, /tenant initech has no key in FERRY_API_KEYS/],
  ])('refuses %s, naming the entry but not its URL', (value, problem) => {
    const error = configError({ FERRY_NOTIFY_URLS: value });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/FERRY_NOTIFY_URLS/);
    expect(error.message).toMatch(problem);
    expect(error.message).not.toContain(TOKEN);
  });

  it('allows http with SOURCE_ALLOW_PRIVATE (dev, tests)', () => {
    const config = parseApiConfig({
      ...BASE,
      SOURCE_ALLOW_PRIVATE: '1',
      FERRY_NOTIFY_URLS: 'acme=http://127.0.0.1:9000/hook',
    });
    expect(config.FERRY_NOTIFY_URLS.get('acme')).toBe('http://127.0.0.1:9000/hook');
  });
});
