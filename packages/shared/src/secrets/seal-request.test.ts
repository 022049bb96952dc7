import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeSource } from '../catalog/describe-source.ts';
import { ImportRequest } from '../catalog/import-request.ts';
import { StoredImportRequest } from '../catalog/stored-import-request.ts';
import { ErrorCode } from '../errors.ts';
import { openRequest, sealRequest } from './seal-request.ts';
import { SecretBox } from './secret-box.ts';
import { SecretKey } from './secret-key.ts';

const box = new SecretBox(new SecretKey(randomBytes(32)));
const destination = { bucket: 'ferry-dest', key: 'k' };

const requests: Record<string, ImportRequest> = {
  http: ImportRequest.parse({
    source: {
      type: 'http',
      url: 'https://user:pw@files.example.com/f.bin',
      headers: { Authorization: 'Bearer http-secret-1', 'X-Api-Key': 'http-secret-2' },
    },
    destination,
  }),
  dropbox: ImportRequest.parse({
    source: { type: 'dropbox', path: '/f.bin', credentials: { accessToken: 'dbx-secret-1' } },
    destination,
  }),
  gdrive: ImportRequest.parse({
    source: {
      type: 'gdrive',
      fileId: 'abc_123',
      exportMimeType: 'application/pdf',
      credentials: { refreshToken: 'gd-secret-1', clientId: 'client-1', clientSecret: 'gd-secret-2' },
    },
    destination,
  }),
  plainHttp: ImportRequest.parse({
    source: { type: 'http', url: 'https://files.example.com/f' },
    destination,
  }),
  presigned: ImportRequest.parse({
    source: {
      type: 'http',
      url: 'https://b.s3.amazonaws.com/f.bin?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=url-secret-1#frag',
    },
    destination,
  }),
  s3: ImportRequest.parse({ source: { type: 's3', bucket: 'src-bucket', key: 'k' }, destination }),
  s3Role: ImportRequest.parse({
    source: {
      type: 's3',
      bucket: 'src-bucket',
      key: 'k',
      roleArn: 'arn:aws:iam::123456789012:role/ferry-reader',
      externalId: 'role-secret-1',
    },
    destination,
  }),
};
const SECRETS = [
  'http-secret-1',
  'http-secret-2',
  'dbx-secret-1',
  'gd-secret-1',
  'gd-secret-2',
  'url-secret-1',
  'AKIAEXAMPLE',
  'user:pw',
  'role-secret-1',
];

describe('sealRequest / openRequest', () => {
  it.each(Object.entries(requests))(
    'round-trips a %s request, holding no secret while stored',
    (_, request) => {
      const stored = sealRequest(request, box);
      expect(StoredImportRequest.parse(stored)).toEqual(stored);
      const text = JSON.stringify(stored);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(openRequest(stored, box)).toEqual(request);
    },
  );

  it('shows a URL with credentials only redacted, query names kept', () => {
    expect(describeSource(sealRequest(requests.presigned as ImportRequest, box).source)).toEqual({
      type: 'http',
      url: 'https://b.s3.amazonaws.com/f.bin?X-Amz-Credential=redacted&X-Amz-Signature=redacted',
      headerNames: [],
    });
  });

  it('leaves requests without secrets as they are', () => {
    expect(sealRequest(requests.plainHttp as ImportRequest, box)).toEqual(requests.plainHttp);
    expect(sealRequest(requests.s3 as ImportRequest, box)).toEqual(requests.s3);
  });

  it('describes a stored source by which secrets it holds, as a response shows it', () => {
    const describe = (name: string) =>
      describeSource(sealRequest(requests[name] as ImportRequest, box).source);
    expect(describe('http')).toEqual({
      type: 'http',
      url: 'https://redacted:redacted@files.example.com/f.bin',
      headerNames: ['Authorization', 'X-Api-Key'],
    });
    expect(describe('plainHttp')).toEqual({
      type: 'http',
      url: 'https://files.example.com/f',
      headerNames: [],
    });
    expect(describe('dropbox')).toEqual({ type: 'dropbox', path: '/f.bin', credentials: ['accessToken'] });
    expect(describe('gdrive')).toEqual({
      type: 'gdrive',
      fileId: 'abc_123',
      exportMimeType: 'application/pdf',
      credentials: ['refreshToken', 'clientId', 'clientSecret'],
    });
    expect(describe('s3')).toEqual({ type: 's3', bucket: 'src-bucket', key: 'k' });
    expect(describe('s3Role')).toEqual({
      type: 's3',
      bucket: 'src-bucket',
      key: 'k',
      roleArn: 'arn:aws:iam::123456789012:role/ferry-reader',
      externalIdGiven: true,
    });
  });

  it('refuses a stored request whose listed field names were edited, or whose secret moved', () => {
    const stored = sealRequest(requests.dropbox as ImportRequest, box);
    if (stored.source.type !== 'dropbox') throw new Error('expected a dropbox source');
    const renamed = {
      ...stored,
      source: { ...stored.source, credentials: { ...stored.source.credentials, fields: ['refreshToken'] } },
    };
    expect(() => openRequest(renamed, box)).toThrow(
      expect.objectContaining({ code: ErrorCode.SECRET_UNREADABLE }),
    );
    const moved = {
      destination,
      source: { type: 'gdrive' as const, fileId: 'x', credentials: stored.source.credentials },
    };
    expect(() => openRequest(moved, box)).toThrow(
      expect.objectContaining({ code: ErrorCode.SECRET_UNREADABLE }),
    );
  });
});
