import { describe, expect, it } from 'vitest';
import { redactPath, redactUrl } from './redact-url.ts';

describe('redactUrl', () => {
  it('keeps scheme, host, port and path; drops query, fragment and userinfo', () => {
    expect(redactUrl('https://user:pw@cdn.example.com:8443/a/b.bin?X-Amz-Signature=s3cr3t#frag')).toBe(
      'https://cdn.example.com:8443/a/b.bin',
    );
    expect(redactUrl(new URL('http://[::1]/x?token=t'))).toBe('http://[::1]/x');
    expect(redactUrl('not a url')).toBe('');
  });
});

describe('redactPath', () => {
  it('cuts a request target at its query or fragment', () => {
    expect(redactPath('/v1/imports?cursor=abc')).toBe('/v1/imports');
    expect(redactPath('/a#b')).toBe('/a');
    expect(redactPath('/plain')).toBe('/plain');
  });
});
