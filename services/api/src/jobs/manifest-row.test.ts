import { describe, expect, it } from 'vitest';
import { delimitedFields } from './delimited-fields.ts';
import { expandKeyTemplate, keyTemplateProblem } from './key-template.ts';
import { type ManifestShape, parseHeader, parseManifestRow } from './manifest-row.ts';

const csv: ManifestShape = {
  format: 'csv',
  columns: ['url', 'bucket', 'key'],
  keyTemplate: null,
  bucket: null,
};

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
    const shape: ManifestShape = { format: 'ndjson', columns: null, keyTemplate: null, bucket: null };
    const row = {
      source: { type: 's3', bucket: 'src-b', key: 'a' },
      destination: { bucket: 'dst-b', key: 'a' },
    };
    expect(parseManifestRow(JSON.stringify(row), shape, 1)).toEqual({ ok: true, request: row });
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
    const ndjson: ManifestShape = { format: 'ndjson', columns: null, keyTemplate: null, bucket: null };
    expect(parseManifestRow('{"source":', ndjson, 4)).toMatchObject({
      error: { message: 'row 4: is not valid JSON' },
    });
    expect(parseManifestRow(null, csv, 5)).toMatchObject({
      error: { message: expect.stringMatching(/^row 5: longer than/) },
    });
  });
});

describe('parseHeader', () => {
  it('wants url, and bucket and key unless the job fills them', () => {
    const plain = { format: 'csv' as const, keyTemplate: null, bucket: null };
    expect(parseHeader('url,bucket,key', plain)).toEqual({ ok: true, columns: ['url', 'bucket', 'key'] });
    expect(parseHeader('url,bucket', plain)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no key column/),
    });
    expect(parseHeader('url', { ...plain, keyTemplate: '{path}', bucket: 'b-1' })).toEqual({
      ok: true,
      columns: ['url'],
    });
    expect(parseHeader('url,bucket,key,md5', plain)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/"md5"/),
    });
  });
});
