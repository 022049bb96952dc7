import { FerryError, parseEnv } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { LimitsEnv } from './limits-env.ts';

describe('LimitsEnv', () => {
  it('has defaults for every provider', () => {
    const config = parseEnv(LimitsEnv, {});
    expect(config).toMatchObject({
      DROPBOX_RATE_LIMIT_PER_S: 10,
      DROPBOX_MAX_DOWNLOADS: 8,
      GDRIVE_RATE_LIMIT_PER_S: 10,
      GDRIVE_MAX_DOWNLOADS: 8,
      RATE_LIMIT_MAX_WAIT_S: 30,
    });
    expect(config.RATE_LIMIT_OVERRIDES.size).toBe(0);
  });

  it('reads per-key overrides', () => {
    const config = parseEnv(LimitsEnv, {
      RATE_LIMIT_OVERRIDES: 'dropbox:app:abc=20/4, gdrive:client:xyz.apps.googleusercontent.com=5/2',
    });
    expect([...config.RATE_LIMIT_OVERRIDES]).toEqual([
      ['dropbox:app:abc', { perSecond: 20, maxDownloads: 4 }],
      ['gdrive:client:xyz.apps.googleusercontent.com', { perSecond: 5, maxDownloads: 2 }],
    ]);
  });

  it.each([
    ['dropbox:app:abc=20', 'entry 1: expected'],
    ['dropbox:app:abc=20/4,s3:bucket=1/1', 'entry 2: expected'],
    ['dropbox:=20/4', 'entry 1: expected'],
    ['dropbox:app:abc=0/4', 'entry 1: requests per second must be from 1 to 10000'],
    ['gdrive:client:x=5/2000', 'entry 1: concurrent downloads must be from 1 to 1024'],
    ['gdrive:client:x=5/-1', 'entry 1: expected'],
    ['dropbox:app:abc=20/4,dropbox:app:abc=1/1', 'entry 2: repeats the key'],
  ])('refuses %s, naming the variable but not the account', (value, message) => {
    let error: unknown;
    try {
      parseEnv(LimitsEnv, { RATE_LIMIT_OVERRIDES: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('CONFIG_INVALID');
    expect((error as FerryError).message).toContain(`RATE_LIMIT_OVERRIDES: ${message}`);
    expect((error as FerryError).message).not.toMatch(/abc|client:x/);
  });

  it('leaves HTTP hosts unlimited by default and reads HTTP_HOST_LIMITS', () => {
    expect(parseEnv(LimitsEnv, {}).HTTP_HOST_LIMITS).toEqual({ byHost: new Map(), fallback: null });
    const config = parseEnv(LimitsEnv, { HTTP_HOST_LIMITS: 'default=8/20,example.com=2/5' });
    expect(config.HTTP_HOST_LIMITS.fallback).toEqual({ maxDownloads: 8, perSecond: 20 });
    expect(config.HTTP_HOST_LIMITS.byHost.get('example.com')).toEqual({ maxDownloads: 2, perSecond: 5 });
  });

  it('refuses a bad HTTP_HOST_LIMITS, naming the variable and the entry but not the host', () => {
    let error: unknown;
    try {
      parseEnv(LimitsEnv, { HTTP_HOST_LIMITS: 'default=8/20,secret-origin.example=2' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('CONFIG_INVALID');
    expect((error as FerryError).message).toContain('HTTP_HOST_LIMITS: entry 2: expected');
    expect((error as FerryError).message).not.toContain('secret-origin');
  });

  it('names a bad rate variable', () => {
    expect(() => parseEnv(LimitsEnv, { GDRIVE_RATE_LIMIT_PER_S: 'fast' })).toThrow(/GDRIVE_RATE_LIMIT_PER_S/);
  });
});
