import { describe, expect, it } from 'vitest';
import { chooseProfile, configuredProfile, type EndpointCapabilities } from './checksum-mode.ts';

const nothing: EndpointCapabilities = {
  crc32Uploads: false,
  decodesTrailer: false,
  verifiesTrailer: false,
  verifiesChunkSignatures: false,
  md5Etags: false,
  verifiesContentMd5: false,
  verifiesCrc32Header: false,
  listParts: false,
  conditionalWrites: false,
  conditionalCompletes: false,
};

describe('chooseProfile', () => {
  it('takes the trailer where the server decodes and verifies it (AWS S3)', () => {
    const aws = {
      ...nothing,
      crc32Uploads: true,
      decodesTrailer: true,
      verifiesTrailer: true,
      md5Etags: true,
    };
    expect(chooseProfile(aws)).toMatchObject({ mode: 'trailer', crc32Checksums: true, contentMd5: false });
  });

  it('takes signed chunks where trailers are not decoded but chunk signatures are checked (Ceph RGW 16)', () => {
    const rgw = {
      ...nothing,
      crc32Uploads: true,
      md5Etags: true,
      verifiesChunkSignatures: true,
      verifiesContentMd5: true,
    };
    expect(chooseProfile(rgw)).toMatchObject({
      mode: 'signed',
      crc32Checksums: false,
      reason: expect.stringContaining('verifies aws-chunked bodies signed chunk by chunk'),
    });
  });

  it('takes the ETag where neither trailers nor signed chunks are checked and ETags are MD5s (fauxqs)', () => {
    const rgw = { ...nothing, crc32Uploads: true, md5Etags: true, verifiesContentMd5: true, listParts: true };
    expect(chooseProfile(rgw)).toMatchObject({
      mode: 'etag',
      crc32Checksums: false,
      reason: expect.stringContaining('does not decode aws-chunked trailers'),
    });
    const unchecked = { ...nothing, crc32Uploads: true, decodesTrailer: true, md5Etags: true };
    expect(chooseProfile(unchecked)).toMatchObject({
      mode: 'etag',
      reason: expect.stringContaining('does not verify aws-chunked CRC-32 trailers'),
    });
  });

  it('sends checksums up front where ETags are not MD5s: the ones the server verifies', () => {
    expect(chooseProfile({ ...nothing, verifiesContentMd5: true })).toMatchObject({
      mode: 'header',
      contentMd5: true,
      crc32Checksums: false,
    });
    expect(chooseProfile({ ...nothing, crc32Uploads: true, verifiesCrc32Header: true })).toMatchObject({
      mode: 'header',
      contentMd5: false,
      crc32Checksums: true,
    });
    // Nothing verified at all: Content-MD5 is still sent, and the reason says what was found.
    expect(chooseProfile(nothing)).toMatchObject({
      mode: 'header',
      contentMd5: true,
      reason: expect.stringContaining('verified no checksum'),
    });
  });
});

describe('configuredProfile', () => {
  it('takes a mode as given, with CRC-32 uploads for the trailer and for headers sent to AWS itself', () => {
    expect(configuredProfile('trailer', false)).toMatchObject({ mode: 'trailer', crc32Checksums: true });
    expect(configuredProfile('header', true)).toMatchObject({ crc32Checksums: true, contentMd5: true });
    expect(configuredProfile('header', false)).toMatchObject({ crc32Checksums: false, contentMd5: true });
    expect(configuredProfile('etag', false)).toMatchObject({
      mode: 'etag',
      crc32Checksums: false,
      capabilities: null,
      reason: 'S3_CHECKSUM_MODE=etag',
    });
  });
});
