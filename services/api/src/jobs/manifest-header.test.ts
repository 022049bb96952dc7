import { describe, expect, it } from 'vitest';
import { parseHeader, URL_LIST_HEADER } from './manifest-header.ts';

const plain = { format: 'csv' as const, keyTemplate: null, bucket: null };

describe('parseHeader', () => {
  it('wants url, and bucket and key unless the job fills them', () => {
    expect(parseHeader('url,bucket,key', plain)).toEqual({
      ok: true,
      columns: ['url', 'bucket', 'key'],
      urlList: false,
    });
    expect(parseHeader('url,bucket', plain)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no key column/),
    });
    expect(parseHeader('url', { ...plain, keyTemplate: '{path}', bucket: 'b-1' })).toEqual({
      ok: true,
      columns: ['url'],
      urlList: false,
    });
    expect(parseHeader('url,bucket,key,etag', plain)).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^header: column "etag" is not one of url, bucket, key, overwrite, size/,
      ),
    });
  });

  it('takes the overwrite and expected-checksum columns, in any order', () => {
    expect(parseHeader('crc32c,url,size,md5,sha256,overwrite,key,bucket', plain)).toMatchObject({
      ok: true,
      columns: ['crc32c', 'url', 'size', 'md5', 'sha256', 'overwrite', 'key', 'bucket'],
    });
    expect(parseHeader('url\tbucket\tkey\tmd5', { ...plain, format: 'tsv' })).toMatchObject({ ok: true });
  });

  it("reads a TSV opening with GCS's URL list line as url, size, md5; the job names the destination", () => {
    const tsv = { format: 'tsv' as const, keyTemplate: '{path}', bucket: 'b-1' };
    expect(parseHeader(URL_LIST_HEADER, tsv)).toEqual({
      ok: true,
      columns: ['url', 'size', 'md5'],
      urlList: true,
    });
    expect(parseHeader(`${URL_LIST_HEADER}\r`, tsv)).toMatchObject({ ok: true, urlList: true });
    expect(parseHeader(URL_LIST_HEADER, { ...tsv, keyTemplate: null })).toEqual({
      ok: false,
      message: 'header: a TsvHttpData-1.0 list has no key column and the job has no keyTemplate',
    });
    expect(parseHeader(URL_LIST_HEADER, { ...tsv, bucket: null })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no bucket column/),
    });
    // Only a TSV is a URL list.
    expect(parseHeader(URL_LIST_HEADER, { ...tsv, format: 'csv' })).toMatchObject({ ok: false });
  });
});
