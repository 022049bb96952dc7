import { describe, expect, it } from 'vitest';
import { classifyListPartsFailure } from './list-parts.ts';

/** An SDK error as the S3 client throws it for an answer with this status and code. */
const s3Error = (status: number, name: string) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('classifyListPartsFailure', () => {
  it('reads NoSuchUpload as the upload gone, and a server without ListParts as unsupported', () => {
    expect(classifyListPartsFailure(s3Error(404, 'NoSuchUpload'), null)).toBe('upload-gone');
    expect(classifyListPartsFailure(s3Error(501, 'NotImplemented'), null)).toBe('unsupported');
    expect(classifyListPartsFailure(s3Error(405, 'MethodNotAllowed'), null)).toBe('unsupported');
    expect(classifyListPartsFailure(s3Error(500, 'InternalError'), null)).toBe('unavailable');
    expect(classifyListPartsFailure(new Error('socket hang up'), true)).toBe('unavailable');
  });

  it('reads 404 NoSuchKey by what the probe found: no ListParts (fauxqs) or an upload gone (Ceph RGW)', () => {
    expect(classifyListPartsFailure(s3Error(404, 'NoSuchKey'), null)).toBe('unsupported');
    expect(classifyListPartsFailure(s3Error(404, 'NoSuchKey'), false)).toBe('unsupported');
    expect(classifyListPartsFailure(s3Error(404, 'NoSuchKey'), true)).toBe('upload-gone');
    expect(classifyListPartsFailure(s3Error(404, 'UnknownError'), true)).toBe('upload-gone');
  });
});
