import { describe, expect, it } from 'vitest';
import { originLimits, parseHostLimits } from './host-limits.ts';
import { hostLimitKey, hostOfKey } from './limit-key.ts';

describe('parseHostLimits', () => {
  it('reads a default, hosts, hosts with a port and exemptions (concurrent downloads / requests per second)', () => {
    const table = parseHostLimits(
      'default=8/20, Example.COM=2/5,cdn.example.net:8443=unlimited,[::1]:8080=1/1,bücher.example=3/3',
    );
    expect(table.fallback).toEqual({ maxDownloads: 8, perSecond: 20 });
    expect([...table.byHost]).toEqual([
      ['example.com', { maxDownloads: 2, perSecond: 5 }],
      ['cdn.example.net:8443', null],
      ['[::1]:8080', { maxDownloads: 1, perSecond: 1 }],
      ['xn--bcher-kva.example', { maxDownloads: 3, perSecond: 3 }],
    ]);
  });

  it('leaves hosts unlimited when unset or without a default', () => {
    expect(parseHostLimits('')).toEqual({ byHost: new Map(), fallback: null });
    expect(parseHostLimits('example.com=2/5').fallback).toBeNull();
  });

  it.each([
    ['example.com=2', 'entry 1: expected <host>[:<port>]='],
    ['default=8/20,example.com/path=2/5', 'entry 2: expected'],
    ['user@example.com=2/5', 'entry 1: expected'],
    ['example.com:99999=2/5', 'entry 1: the port must be from 1 to 65535'],
    ['example.com:0=2/5', 'entry 1: the port must be from 1 to 65535'],
    ['example.com=0/5', 'entry 1: concurrent downloads must be from 1 to 1024'],
    ['example.com=2/0', 'entry 1: requests per second must be from 1 to 10000'],
    ['example.com=2/5,EXAMPLE.com=1/1', 'entry 2: repeats the host'],
    ['default=2/5,default=unlimited', 'entry 2: repeats the default'],
  ])('refuses %s', (value, message) => {
    expect(() => parseHostLimits(value)).toThrow(message);
  });
});

describe('originLimits', () => {
  const table = parseHostLimits(
    'default=8/20,example.com=2/5,example.com:8443=1/1,cdn.example.net=unlimited',
  );
  const of = (url: string) => {
    const host = hostOfKey(hostLimitKey(new URL(url)));
    if (host === null) throw new Error('not a host key');
    return originLimits(table, host);
  };

  it('takes the host and port entry, then the host entry (any port), then the default', () => {
    expect(of('https://example.com:8443/a')).toEqual({
      limits: { maxDownloads: 1, perSecond: 1 },
      listed: true,
    });
    expect(of('https://EXAMPLE.com/a?sig=x')).toEqual({
      limits: { maxDownloads: 2, perSecond: 5 },
      listed: true,
    });
    expect(of('http://example.com:8080/')).toEqual({
      limits: { maxDownloads: 2, perSecond: 5 },
      listed: true,
    });
    expect(of('https://cdn.example.net/f')).toEqual({ limits: null, listed: true });
    expect(of('https://other.example/f')).toEqual({
      limits: { maxDownloads: 8, perSecond: 20 },
      listed: false,
    });
  });
});

describe('hostLimitKey', () => {
  it('keys by host and port, never by path, query or user info', () => {
    expect(hostLimitKey(new URL('https://user:pw@Files.Example.com/a/b?X-Amz-Signature=s#f'))).toBe(
      'http:host:files.example.com:443',
    );
    expect(hostLimitKey(new URL('http://files.example.com/a'))).toBe('http:host:files.example.com:80');
    expect(hostLimitKey(new URL('http://[::1]:8080/a'))).toBe('http:host:[::1]:8080');
    expect(hostOfKey('http:host:[::1]:8080')).toBe('[::1]:8080');
    expect(hostOfKey('dropbox:app:abc')).toBeNull();
  });
});
