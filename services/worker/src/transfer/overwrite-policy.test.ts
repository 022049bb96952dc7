import { describe, expect, it } from 'vitest';
import type { ObjectHead } from '../sink/sink-types.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { sameContent } from './overwrite-policy.ts';

const MD5 = '9e107d9d372bb6826bd81d3542a419d6';
const OTHER_MD5 = 'e4d909c290d0fb1ca068ffaddf22cbd0';

const head = (overrides: Partial<ObjectHead> = {}): ObjectHead => ({
  size: 43,
  etag: '"00000000000000000000000000000000-2"',
  fullObjectCrc32: null,
  metadata: {},
  ...overrides,
});
const source = (overrides: Partial<SourceMetadata> = {}): SourceMetadata => ({
  size: 43,
  version: '"v1"',
  ranges: true,
  ...overrides,
});

describe('sameContent (overwrite if-different)', () => {
  it("matches the checksum Ferry recorded on the object with the source's digest or an expected one", () => {
    const recorded = head({ metadata: { 'ferry-source-checksum': `md5:${MD5}` } });
    expect(sameContent(recorded, source({ digest: { algorithm: 'md5', value: MD5 } }), undefined)).toBe(true);
    expect(sameContent(recorded, source(), { md5: MD5.toUpperCase() })).toBe(true);
    expect(sameContent(recorded, source(), { md5: Buffer.from(MD5, 'hex').toString('base64') })).toBe(true);
    expect(sameContent(recorded, source(), { md5: OTHER_MD5 })).toBe(false);
  });

  it('needs the same size, from the source or the expected one when the source does not say', () => {
    const recorded = head({ metadata: { 'ferry-source-checksum': `md5:${MD5}` } });
    expect(sameContent(recorded, source({ size: 44 }), { md5: MD5 })).toBe(false);
    expect(sameContent(recorded, source({ size: null }), { md5: MD5 })).toBe(false);
    expect(sameContent(recorded, source({ size: null }), { md5: MD5, size: 43 })).toBe(true);
  });

  it("compares S3's full-object CRC-32 with one the source states", () => {
    expect(sameContent(head({ fullObjectCrc32: 7 }), source({ crc32: 7 }), undefined)).toBe(true);
    expect(sameContent(head({ fullObjectCrc32: 7 }), source({ crc32: 8 }), undefined)).toBe(false);
  });

  it('takes a single-part MD5 ETag as proof of sameness only when it matches (it may not be an MD5)', () => {
    expect(sameContent(head({ etag: `"${MD5}"` }), source(), { md5: MD5 })).toBe(true);
    expect(sameContent(head({ etag: `"${OTHER_MD5}"` }), source(), { md5: MD5 })).toBe(false);
    expect(sameContent(head({ etag: `"${MD5}"` }), source(), undefined)).toBe(false);
  });

  it('is not sure, so writes, with nothing comparable: a checksum of another kind, or none', () => {
    const sha = head({ metadata: { 'ferry-source-checksum': `sha256:${'a'.repeat(64)}` } });
    expect(sameContent(sha, source(), { md5: MD5 })).toBe(false);
    expect(sameContent(head({ fullObjectCrc32: 7 }), source(), undefined)).toBe(false);
  });
});
