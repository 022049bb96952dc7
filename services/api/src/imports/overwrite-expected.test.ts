import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, type TestApi } from '../testing/api-harness.ts';

const MD5_HEX = '9e107d9d372bb6826bd81d3542a419d6';

describe('POST /v1/imports with an overwrite policy and expected checksums', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const submit = (body: object) => api.call('a', { method: 'POST', url: '/v1/imports', payload: body });
  const withSource = (extra: object, key: string, top: object = {}) => {
    const request = importRequest(key);
    return { ...request, source: { ...request.source, ...extra }, ...top };
  };

  it('queues them as given and shows them on GET', async () => {
    const expected = {
      size: 43,
      md5: Buffer.from(MD5_HEX, 'hex').toString('base64'),
      sha256: 'D7A8FBB307D7809469CA9ABCB0082E4F8D5651E46D3CDB762D02D0BF37C9E592',
      crc32c: '22620404',
    };
    const request = withSource({ expected }, 'policies/ok.bin', { overwrite: 'if-different' });
    const response = await submit(request);
    expect(response.statusCode).toBe(202);
    const { id } = response.json();
    // The job names the import; the request the worker reads is the record's.
    expect((await api.store.get(id))?.request).toMatchObject({
      overwrite: 'if-different',
      source: { expected },
    });
    const view = (await api.call('a', { method: 'GET', url: `/v1/imports/${id}` })).json();
    expect(view).toMatchObject({ overwrite: 'if-different', source: { type: 'http', expected } });
  });

  it.each([
    [
      'an unknown policy',
      withSource({}, 'p/1.bin', { overwrite: 'sometimes' }),
      'overwrite',
      /one of "always", "never", "if-different"/,
    ],
    [
      'an MD5 that is neither hex nor base64',
      withSource({ expected: { md5: 'xyz' } }, 'p/2.bin'),
      'source.expected.md5',
      /32 hex digits or the base64 of 16 bytes/,
    ],
    [
      'an MD5 of 31 hex digits',
      withSource({ expected: { md5: MD5_HEX.slice(1) } }, 'p/3.bin'),
      'source.expected.md5',
      /32 hex digits/,
    ],
    [
      'a SHA-256 as an MD5',
      withSource({ expected: { sha256: MD5_HEX } }, 'p/4.bin'),
      'source.expected.sha256',
      /64 hex digits or the base64 of 32 bytes/,
    ],
    [
      'a CRC32C of 9 digits',
      withSource({ expected: { crc32c: '123456789' } }, 'p/5.bin'),
      'source.expected.crc32c',
      /8 hex digits or the base64 of 4 bytes/,
    ],
    [
      'a negative size',
      withSource({ expected: { size: -1 } }, 'p/6.bin'),
      'source.expected.size',
      /must not be negative/,
    ],
    [
      'a fractional size',
      withSource({ expected: { size: 1.5 } }, 'p/7.bin'),
      'source.expected.size',
      /whole number/,
    ],
    [
      'an empty expected',
      withSource({ expected: {} }, 'p/8.bin'),
      'source.expected',
      /at least one of size, md5, sha256, crc32c/,
    ],
    [
      'a digest Ferry does not check',
      withSource({ expected: { sha1: 'a' } }, 'p/9.bin'),
      'source.expected.sha1',
      /unknown field/,
    ],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field', async (_label, body, field, message) => {
    const response = await submit(body);
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('VALIDATION_FAILED');
    const detail = (error.details as { field: string; message: string }[]).find((d) => d.field === field);
    expect(detail?.message, JSON.stringify(error)).toMatch(message);
  });
});
