import { describe, expect, it } from 'vitest';
import { delimitedFields } from './delimited-fields.ts';
import { expandKeyTemplate, keyTemplateProblem } from './key-template.ts';
import { type ManifestShape, parseManifestRow } from './manifest-row.ts';

const csv: ManifestShape = {
  format: 'csv',
  columns: ['url', 'bucket', 'key'],
  urlList: false,
  keyTemplate: null,
  bucket: null,
  overwrite: null,
};
const ndjson: ManifestShape = { ...csv, format: 'ndjson', columns: null };

describe('delimitedFields', () => {
  it('reads RFC 4180 quoting in CSV and plain tabs in TSV', () => {
    expect(delimitedFields('a,"b,c","say ""hi""",', 'csv')).toEqual(['a', 'b,c', 'say "hi"', '']);
    expect(delimitedFields('a,"open', 'csv')).toBeNull();
    expect(delimitedFields('"a"b,c', 'csv')).toBeNull();
    expect(delimitedFields('a,b\tc', 'tsv')).toEqual(['a,b', 'c']);
  });
});

describe('key templates', () => {
  it('names the source path, its last segment and the row', () => {
    const source = { type: 'http' as const, url: 'https://h.example/a/b%20c/file.bin?sig=s3cret' };
    expect(expandKeyTemplate('in/{path}', source, 7)).toBe('in/a/b c/file.bin');
    expect(expandKeyTemplate('{row}-{basename}', source, 7)).toBe('7-file.bin');
    expect(expandKeyTemplate('{basename}', { type: 's3', bucket: 'src-bucket', key: 'x/y.txt' }, 1)).toBe(
      'y.txt',
    );
  });

  it('refuses unknown variables and templates that would give every row one key', () => {
    expect(keyTemplateProblem('{path}')).toBeNull();
    expect(keyTemplateProblem('{name}')).toMatch(/\{name\} is not one of/);
    expect(keyTemplateProblem('fixed.bin')).toMatch(/every row would have one key/);
  });
});

describe('parseManifestRow', () => {
  it('makes a CSV row an http import', () => {
    expect(parseManifestRow('https://h.example/f.bin,dest-bucket,k/f.bin', csv, 1)).toEqual({
      ok: true,
      request: {
        source: { type: 'http', url: 'https://h.example/f.bin' },
        destination: { bucket: 'dest-bucket', key: 'k/f.bin' },
      },
    });
  });

  it("fills bucket and key from the job's bucket and key template", () => {
    const shape: ManifestShape = {
      ...csv,
      format: 'tsv',
      columns: ['url'],
      keyTemplate: 'x/{basename}',
      bucket: 'b-1',
    };
    expect(parseManifestRow('https://h.example/d/f.bin', shape, 3)).toMatchObject({
      ok: true,
      request: { destination: { bucket: 'b-1', key: 'x/f.bin' } },
    });
  });

  it('takes NDJSON rows in the import request shapes', () => {
    const row = {
      source: { type: 's3', bucket: 'src-b', key: 'a' },
      destination: { bucket: 'dst-b', key: 'a' },
    };
    expect(parseManifestRow(JSON.stringify(row), ndjson, 1)).toEqual({ ok: true, request: row });
  });

  it('names the row and the field, never the value', () => {
    const bad = parseManifestRow('ftp://h.example/s3cret-token,dest-bucket,k', csv, 12);
    expect(bad).toEqual({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^row 12: source\.url: /) },
    });
    expect(JSON.stringify(bad)).not.toContain('s3cret-token');
    expect(parseManifestRow('https://h.example/a,Bad_Bucket,k', csv, 2)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^row 2: destination\.bucket: bucket name/) },
    });
    expect(parseManifestRow('a,b', csv, 3)).toMatchObject({
      error: { message: 'row 3: has 2 fields; the header has 3' },
    });
    expect(parseManifestRow('{"source":', ndjson, 4)).toMatchObject({
      error: { message: 'row 4: is not valid JSON' },
    });
    expect(parseManifestRow(null, csv, 5)).toMatchObject({
      error: { message: expect.stringMatching(/^row 5: longer than/) },
    });
  });
});

describe('overwrite policies and expected checksums in rows', () => {
  const md5Hex = '9e107d9d372bb6826bd81d3542a419d6';
  const md5Base64 = Buffer.from(md5Hex, 'hex').toString('base64');
  const sha256 = 'd7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592';
  const wide: ManifestShape = {
    ...csv,
    columns: ['url', 'bucket', 'key', 'overwrite', 'size', 'md5', 'sha256', 'crc32c'],
  };

  it('reads CSV columns into the import, empty fields as not given', () => {
    expect(
      parseManifestRow(`https://h.example/a,b-1,k/a,never,1024,${md5Hex},${sha256},414fa339`, wide, 1),
    ).toEqual({
      ok: true,
      request: {
        source: {
          type: 'http',
          url: 'https://h.example/a',
          expected: { size: 1024, md5: md5Hex, sha256, crc32c: '414fa339' },
        },
        destination: { bucket: 'b-1', key: 'k/a' },
        overwrite: 'never',
      },
    });
    expect(parseManifestRow('https://h.example/b,b-1,k/b,,,,,', wide, 2)).toEqual({
      ok: true,
      request: {
        source: { type: 'http', url: 'https://h.example/b' },
        destination: { bucket: 'b-1', key: 'k/b' },
      },
    });
  });

  it("gives rows without a policy the job's, and a row's own wins", () => {
    const shape: ManifestShape = { ...wide, overwrite: 'if-different' };
    expect(parseManifestRow('https://h.example/a,b-1,k/a,,,,,', shape, 1)).toMatchObject({
      ok: true,
      request: { overwrite: 'if-different' },
    });
    expect(parseManifestRow('https://h.example/a,b-1,k/a,always,,,,', shape, 1)).toMatchObject({
      ok: true,
      request: { overwrite: 'always' },
    });
    const ndjsonShape: ManifestShape = { ...ndjson, overwrite: 'never' };
    const row = (extra: object) =>
      JSON.stringify({
        source: { type: 'http', url: 'https://h.example/n', expected: { md5: md5Base64 } },
        destination: { bucket: 'b-1', key: 'n' },
        ...extra,
      });
    expect(parseManifestRow(row({}), ndjsonShape, 1)).toEqual({
      ok: true,
      request: {
        source: { type: 'http', url: 'https://h.example/n', expected: { md5: md5Base64 } },
        destination: { bucket: 'b-1', key: 'n' },
        overwrite: 'never',
      },
    });
    expect(parseManifestRow(row({ overwrite: 'always' }), ndjsonShape, 1)).toMatchObject({
      request: { overwrite: 'always' },
    });
  });

  it('refuses bad values by row and field, never quoting them', () => {
    const message = (text: string, shape = wide) => {
      const parsed = parseManifestRow(text, shape, 4);
      return parsed.ok ? null : parsed.error.message;
    };
    expect(message('https://h.example/a,b-1,k,sometimes,,,,')).toMatch(
      /^row 4: overwrite: must be one of "always"/,
    );
    expect(message('https://h.example/a,b-1,k,,12kB,,,')).toMatch(/^row 4: source\.expected\.size: /);
    expect(message('https://h.example/a,b-1,k,,,s3cretnotmd5,,')).toBe(
      'row 4: source.expected.md5: must be 32 hex digits or the base64 of 16 bytes',
    );
    expect(message('https://h.example/a,b-1,k,,,,abc,')).toMatch(/^row 4: source\.expected\.sha256: /);
    expect(message('https://h.example/a,b-1,k,,,,,xyz')).toMatch(/^row 4: source\.expected\.crc32c: /);
    expect(message('https://h.example/a,b-1,k,,-1,,,')).toMatch(/^row 4: source\.expected\.size: /);
    expect(message('https://h.example/a,b-1,k,,,s3cretnotmd5,,')).not.toContain('s3cret');
    expect(
      message(
        '{"source":{"type":"http","url":"https://h.example/"},"destination":{},"overwrite":"no"}',
        ndjson,
      ),
    ).toMatch(/^row 4: overwrite: must be one of/);
    expect(
      message(
        '{"source":{"type":"http","url":"https://h.example/","expected":{"md5":"x"}},"destination":{}}',
        {
          ...ndjson,
          bucket: 'b-1',
          keyTemplate: '{row}',
        },
      ),
    ).toMatch(/^row 4: source\.expected\.md5: /);
  });

  it('reads a GCS URL list row (url, size, base64 MD5), trailing fields left out or not', () => {
    const list: ManifestShape = {
      ...csv,
      format: 'tsv',
      columns: ['url', 'size', 'md5'],
      urlList: true,
      bucket: 'b-1',
      keyTemplate: 'gcs/{path}',
    };
    expect(parseManifestRow(`https://h.example/d/a.bin\t1357\t${md5Base64}`, list, 1)).toEqual({
      ok: true,
      request: {
        source: { type: 'http', url: 'https://h.example/d/a.bin', expected: { size: 1357, md5: md5Base64 } },
        destination: { bucket: 'b-1', key: 'gcs/d/a.bin' },
      },
    });
    expect(parseManifestRow('https://h.example/d/b.bin\t10', list, 2)).toMatchObject({
      ok: true,
      request: { source: { expected: { size: 10 } } },
    });
    expect(parseManifestRow('https://h.example/d/c.bin', list, 3)).toMatchObject({
      ok: true,
      request: { source: { type: 'http', url: 'https://h.example/d/c.bin' } },
    });
    expect(parseManifestRow('https://h.example/d/c.bin\t1\tx\ty', list, 4)).toMatchObject({
      error: { message: 'row 4: has 4 fields; the header has 3' },
    });
    // A plain TSV still wants every field.
    expect(parseManifestRow('https://h.example/d/c.bin', { ...list, urlList: false }, 5)).toMatchObject({
      error: { message: 'row 5: has 1 fields; the header has 3' },
    });
  });
});
