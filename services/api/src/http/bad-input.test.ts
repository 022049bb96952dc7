import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, KEYS, startTestApi, type TestApi } from '../testing/api-harness.ts';

const SECRET_HEADER_VALUE = 'Bearer source-secret-value-7f3a';

describe('bad input never gets a 500', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const post = (payload: string | object, headers: Record<string, string> = {}) =>
    api.call('a', {
      method: 'POST',
      url: '/v1/imports',
      payload,
      headers: typeof payload === 'string' ? { 'content-type': 'application/json', ...headers } : headers,
    });

  const expectError = (
    response: Awaited<ReturnType<typeof post>>,
    status: number,
    code: string,
    message?: RegExp,
  ) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const { error } = response.json();
    expect(error.code).toBe(code);
    if (message) expect(error.message).toMatch(message);
    return error as { code: string; message: string; details?: { field: string; message: string }[] };
  };

  it.each([
    [
      'a Dropbox source without credentials',
      { type: 'dropbox', path: '/a.bin', credentials: {} },
      'source.credentials.accessToken',
    ],
    [
      'a Dropbox refresh token without the app secret',
      { type: 'dropbox', path: '/a.bin', credentials: { refreshToken: 'r-secret-1', appKey: 'k' } },
      'source.credentials.appSecret',
    ],
    [
      'a Dropbox path without a leading slash',
      { type: 'dropbox', path: 'a.bin', credentials: { accessToken: 't' } },
      'source.path',
    ],
    [
      'a Drive file id with a slash',
      { type: 'gdrive', fileId: 'a/b', credentials: { accessToken: 't' } },
      'source.fileId',
    ],
    [
      'an S3 roleArn that is not an IAM role ARN',
      { type: 's3', bucket: 'src-bucket', key: 'k', roleArn: 'arn:aws:iam::12345:user/secret-3' },
      'source.roleArn',
    ],
    [
      'an S3 externalId of one character',
      {
        type: 's3',
        bucket: 'src-bucket',
        key: 'k',
        roleArn: 'arn:aws:iam::123456789012:role/reader',
        externalId: 'x',
      },
      'source.externalId',
    ],
    [
      'an S3 externalId without a roleArn',
      { type: 's3', bucket: 'src-bucket', key: 'k', externalId: 'ext-secret-4' },
      'source.externalId',
    ],
    [
      'an unknown credential field',
      { type: 'gdrive', fileId: 'abc', credentials: { accessToken: 't', password: 'p-secret-2' } },
      'source.credentials.password',
    ],
  ])('%s -> 400 naming the field, without echoing secrets', async (_label, source, field) => {
    const error = expectError(
      await post({ source, destination: { bucket: 'ferry-test', key: 'k' } }),
      400,
      'VALIDATION_FAILED',
    );
    expect(error.details?.map((detail) => detail.field)).toContain(field);
    expect(JSON.stringify(error)).not.toMatch(/secret-\d/);
  });

  it('a malformed S3 roleArn -> 400 saying what a role ARN looks like', async () => {
    const source = { type: 's3', bucket: 'src-bucket', key: 'k', roleArn: 'arn:aws:iam::1:role/x' };
    expectError(
      await post({ source, destination: { bucket: 'ferry-test', key: 'k' } }),
      400,
      'VALIDATION_FAILED',
      /^source\.roleArn: roleArn must be an IAM role ARN like arn:aws:iam::123456789012:role\/name$/,
    );
  });

  it('malformed JSON -> 400 INVALID_JSON, without echoing the body', async () => {
    const error = expectError(await post('{"source": {"type": "http", "url": "s3cr3t'), 400, 'INVALID_JSON');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('an empty JSON body -> 400 INVALID_JSON', async () => {
    expectError(await post(''), 400, 'INVALID_JSON');
  });

  it('prototype pollution -> 400 INVALID_JSON', async () => {
    expectError(await post('{"__proto__": {"admin": true}}'), 400, 'INVALID_JSON');
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'a=b'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('Content-Type %s -> 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, payload) => {
    expectError(await post(payload, { 'content-type': contentType }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body without Content-Type -> 415', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: { authorization: `Bearer ${KEYS.a}` },
      payload: Buffer.from(JSON.stringify(importRequest())),
    });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('no body at all -> 400 naming the body', async () => {
    const response = await api.call('a', { method: 'POST', url: '/v1/imports' });
    expectError(response, 400, 'VALIDATION_FAILED', /^\(body\): must be an object$/);
  });

  it('a body over 1 MiB -> 413 BODY_TOO_LARGE', async () => {
    const request = { ...importRequest(), padding: 'x'.repeat(1024 * 1024) };
    expectError(await post(request), 413, 'BODY_TOO_LARGE');
  });

  it('a missing field -> 400 naming it', async () => {
    const error = expectError(await post({ source: importRequest().source }), 400, 'VALIDATION_FAILED');
    expect(error.message).toBe('destination: is required');
    expect(error.details).toEqual([{ field: 'destination', message: 'is required' }]);
  });

  it('a missing source type -> 400 naming source.type', async () => {
    const error = expectError(
      await post({ ...importRequest(), source: { url: 'https://files.example.com/x' } }),
      400,
      'VALIDATION_FAILED',
    );
    expect(error.details).toEqual([
      { field: 'source.type', message: 'must be one of "http", "s3", "dropbox", "gdrive"' },
    ]);
  });

  it('an unknown field -> 400 naming it', async () => {
    expectError(
      await post({ ...importRequest(), callbackUrl: 'x' }),
      400,
      'VALIDATION_FAILED',
      /^callbackUrl: unknown field$/,
    );
    expectError(
      await post({ ...importRequest(), destination: { bucket: 'ferry-dest', key: 'k', acl: 'public-read' } }),
      400,
      'VALIDATION_FAILED',
      /^destination\.acl: unknown field$/,
    );
  });

  it('a wrong type -> 400 naming the field', async () => {
    expectError(
      await post({ ...importRequest(), destination: { bucket: 42, key: 'k' } }),
      400,
      'VALIDATION_FAILED',
      /^destination\.bucket: must be a string$/,
    );
    expectError(await post([importRequest()]), 400, 'VALIDATION_FAILED', /^\(body\): must be an object$/);
  });

  it('a bad bucket name -> 400 with the rule', async () => {
    expectError(
      await post({ ...importRequest(), destination: { bucket: 'ab', key: 'k' } }),
      400,
      'VALIDATION_FAILED',
      /^destination\.bucket: bucket name must be 3 to 63 characters long$/,
    );
    expectError(
      await post({ ...importRequest(), destination: { bucket: 'Upper_Case', key: 'k' } }),
      400,
      'VALIDATION_FAILED',
      /^destination\.bucket: bucket name may hold only lowercase/,
    );
  });

  it('an empty key and a 1025-byte key -> 400 naming destination.key', async () => {
    expectError(
      await post({ ...importRequest(), destination: { bucket: 'ferry-dest', key: '' } }),
      400,
      'VALIDATION_FAILED',
      /^destination\.key: key must not be empty$/,
    );
    expectError(
      await post({ ...importRequest(), destination: { bucket: 'ferry-dest', key: 'k'.repeat(1025) } }),
      400,
      'VALIDATION_FAILED',
      /^destination\.key: key must be at most 1024 bytes in UTF-8$/,
    );
    const exactly1024 = await post({
      ...importRequest(),
      destination: { bucket: 'ferry-dest', key: 'k'.repeat(1024) },
    });
    expect(exactly1024.statusCode).toBe(202);
  });

  it.each([
    ['ftp://files.example.com/x', /^source\.url: url must use http or https$/],
    ['file:///etc/passwd', /^source\.url: url must use http or https$/],
    ['not a url', /^source\.url: url must be an absolute URL/],
  ])('a non-http url (%s) -> 400 naming source.url', async (url, message) => {
    expectError(await post(importRequest('k', url)), 400, 'VALIDATION_FAILED', message);
  });

  it('a source header Ferry owns -> 400 naming it, without echoing any header value', async () => {
    const error = expectError(
      await post({
        ...importRequest(),
        source: {
          type: 'http',
          url: 'https://files.example.com/x',
          headers: { Range: 'bytes=0-1', Authorization: SECRET_HEADER_VALUE },
        },
      }),
      400,
      'VALIDATION_FAILED',
      /^source\.headers\.Range: /,
    );
    expect(JSON.stringify(error)).not.toContain('source-secret-value');
  });

  it('an unknown route -> 404 NOT_FOUND, authenticated or not', async () => {
    expectError(await api.call(null, { method: 'GET', url: '/v2/imports' }), 404, 'NOT_FOUND');
    expectError(await api.call('a', { method: 'PUT', url: '/v1/imports/x' }), 404, 'NOT_FOUND');
    expectError(await api.call(null, { method: 'GET', url: '/' }), 404, 'NOT_FOUND');
  });

  it('a malformed URL escape -> a 4xx, not a 500', async () => {
    const response = await api.call('a', { method: 'GET', url: '/v1/imports/%E0%A4%A' });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.json().error.code).toBeTypeOf('string');
  });
});
