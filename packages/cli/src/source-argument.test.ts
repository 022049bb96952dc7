import { describe, expect, it } from 'vitest';
import { parseHeaderArguments, parseS3Url, parseSourceArgument } from './source-argument.ts';

describe('CLI arguments', () => {
  it('parses http sources with headers', () => {
    expect(parseSourceArgument('https://x.example/f', { Authorization: 'Bearer t' })).toEqual({
      type: 'http',
      url: 'https://x.example/f',
      headers: { Authorization: 'Bearer t' },
    });
    expect(() => parseSourceArgument('ftp://x/f', {})).toThrow(/unsupported source/);
    expect(parseSourceArgument('s3://src-bucket/a/b.bin', {})).toEqual({
      type: 's3',
      bucket: 'src-bucket',
      key: 'a/b.bin',
    });
  });

  it('parses provider sources with credentials from the environment only', () => {
    expect(parseSourceArgument('dropbox:/Reports/q3.bin', {}, { DROPBOX_ACCESS_TOKEN: 'tok' })).toEqual({
      type: 'dropbox',
      path: '/Reports/q3.bin',
      credentials: { accessToken: 'tok' },
    });
    const env = {
      GDRIVE_REFRESH_TOKEN: 'r',
      GDRIVE_CLIENT_ID: 'c',
      GDRIVE_CLIENT_SECRET: 's',
      GDRIVE_ACCESS_TOKEN: '',
    };
    expect(parseSourceArgument('gdrive:1AbC_d-E', {}, env)).toEqual({
      type: 'gdrive',
      fileId: '1AbC_d-E',
      credentials: { refreshToken: 'r', clientId: 'c', clientSecret: 's' },
    });
  });

  it('reads an S3 source with a role when the environment names one', () => {
    const env = { S3_SOURCE_ROLE_ARN: 'arn:aws:iam::123456789012:role/reader', S3_SOURCE_EXTERNAL_ID: 'x-1' };
    expect(parseSourceArgument('s3://src/k.bin', {}, env)).toEqual({
      type: 's3',
      bucket: 'src',
      key: 'k.bin',
      roleArn: 'arn:aws:iam::123456789012:role/reader',
      externalId: 'x-1',
    });
  });

  it('parses s3 destinations, keys with slashes included', () => {
    expect(parseS3Url('s3://bucket-1/a/b/c.bin')).toEqual({ bucket: 'bucket-1', key: 'a/b/c.bin' });
    expect(() => parseS3Url('s3://bucket-only')).toThrow(/s3:\/\/bucket\/key/);
  });

  it('parses header arguments without echoing values in errors', () => {
    expect(parseHeaderArguments(['X-A: 1', 'Authorization: Bearer secret'])).toEqual({
      'X-A': '1',
      Authorization: 'Bearer secret',
    });
    expect(() => parseHeaderArguments(['nocolon-secret'])).toThrow(/must look like "Name: value"/);
    expect(() => parseHeaderArguments(['nocolon-secret'])).not.toThrow(/secret/);
  });
});
