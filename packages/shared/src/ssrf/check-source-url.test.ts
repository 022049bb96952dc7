import { describe, expect, it } from 'vitest';
import { checkSourceUrl } from './check-source-url.ts';
import type { ResolveAll } from './guarded-lookup.ts';

const resolvesTo =
  (address: string): ResolveAll =>
  async () => [{ address, family: address.includes(':') ? 6 : 4 }];

describe('checkSourceUrl', () => {
  it('refuses a DNS name that resolves to loopback (real resolver, "localhost")', async () => {
    await expect(checkSourceUrl('http://localhost:9/file', false)).rejects.toMatchObject({
      code: 'SOURCE_ADDRESS_REFUSED',
      status: 422,
    });
  });

  it('refuses literal private and metadata addresses', async () => {
    await expect(checkSourceUrl('http://10.0.0.5/file', false)).rejects.toMatchObject({
      code: 'SOURCE_ADDRESS_REFUSED',
    });
    await expect(checkSourceUrl('http://[::1]/file', false)).rejects.toMatchObject({
      code: 'SOURCE_ADDRESS_REFUSED',
    });
    await expect(checkSourceUrl('http://169.254.169.254/latest/meta-data/', true)).rejects.toMatchObject({
      code: 'SOURCE_ADDRESS_REFUSED',
    });
  });

  it('allows a name resolving to a public address, and loopback when private addresses are allowed', async () => {
    await expect(
      checkSourceUrl('https://files.example/f', false, resolvesTo('93.184.216.34')),
    ).resolves.toBeUndefined();
    await expect(checkSourceUrl('http://localhost:9/file', true)).resolves.toBeUndefined();
  });

  it('refuses a name that resolves to a metadata address', async () => {
    await expect(
      checkSourceUrl('http://sneaky.example/', true, resolvesTo('169.254.169.254')),
    ).rejects.toMatchObject({
      code: 'SOURCE_ADDRESS_REFUSED',
    });
  });

  it('reports a name that does not resolve', async () => {
    const failing: ResolveAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(checkSourceUrl('http://nowhere.invalid/', false, failing)).rejects.toMatchObject({
      code: 'SOURCE_HOST_UNRESOLVED',
    });
  });

  it('refuses non-http schemes', async () => {
    await expect(checkSourceUrl('file:///etc/passwd', true)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
